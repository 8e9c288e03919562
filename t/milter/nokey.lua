-- nokey.lua - ORIGINATING mail with no key for its domain is verified
-- instead (Mode sv, OpenDKIM's rule): not signed, our A-R only
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
local r = send(conn, simple("user@nokey.test"), {qid = "NOKEY1"})
check(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE,
    "nokey: message with no key for its domain is accepted")
local ar = inserted(conn, "Authentication-Results")
check(#inserted(conn, "DKIM-Signature") == 0 and #ar == 1 and
    ar[1]:find("dkim=none", 1, true) ~= nil,
    "nokey: not signed; verified instead: one A-R, dkim=none")
-- the connection still works: the next message is signed
r = send(conn, simple("user@example.com"), {qid = "NOKEY2"})
check(#inserted(conn, "DKIM-Signature") == 2,
    "nokey: the next message on the connection is signed")
mt.disconnect(conn)
