-- authz-none.lua - SenderAuthorization none: OpenDKIM's behaviour, any
-- login signs as any domain that has a key
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
local r = send(conn, simple("ceo@pct.test"), {qid = "AZNONE1", auth = "alice@example.com"})
check((r == SMFIR_CONTINUE or r == SMFIR_ACCEPT) and
    #inserted(conn, "DKIM-Signature") == 1,
    "none: alice@example.com as pct.test is signed, as OpenDKIM would")
mt.disconnect(conn)
