-- nokey.lua - ORIGINATING mail with no key for its domain passes unchanged
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
local r = send(conn, simple("user@nokey.test"), {qid = "NOKEY1"})
check(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE,
    "nokey: message with no key for its domain is accepted")
check(not mt.eom_check(conn, MT_HDRINSERT) and
    not mt.eom_check(conn, MT_HDRADD),
    "nokey: no header field added")
-- the connection still works: the next message is signed
r = send(conn, simple("user@example.com"), {qid = "NOKEY2"})
check(#inserted(conn, "DKIM-Signature") == 2,
    "nokey: the next message on the connection is signed")
mt.disconnect(conn)
