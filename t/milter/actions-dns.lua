-- actions-dns.lua - no DNS server answers: On-DNSError reject; and
-- On-Default discard for an On-* not given (On-NoSignature)
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "INBOUND"})
local r = send(conn, readmsg(work .. "/signed.eml"), {qid = "DNS1"})
check(r == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", FAILED),
    "On-DNSError reject: key lookups that time out give 550")
r = send(conn, simple("x@example.net"), {qid = "DNS2"})
check(r == SMFIR_DISCARD, "On-Default discard applies to On-NoSignature when unset")
mt.disconnect(conn)
