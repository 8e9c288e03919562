-- authz-none.lua - SenderAuthorization none: OpenDKIM's behaviour, any
-- login signs as any domain that has a key
dofile(tdir .. "/lib.lua")

local _, n = originate("ceo@pct.test", {qid = "AZNONE1", auth = "alice@example.com"})
check(n == 1, "none: alice@example.com as pct.test is signed, as OpenDKIM would")
