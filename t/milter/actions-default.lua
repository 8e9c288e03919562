-- actions-default.lua - On-Default reject with On-BadSignature accept:
-- the specific keyword wins over On-Default
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "INBOUND"})
local bad = readmsg(work .. "/signed.eml")
bad.body = bad.body .. "changed\r\n"
local r = send(conn, bad, {qid = "DEF1"})
local t = inserted(conn, "Authentication-Results")
check((r == SMFIR_CONTINUE or r == SMFIR_ACCEPT) and #t == 1 and
    t[1]:find("dkim=fail", 1, true) ~= nil,
    "On-BadSignature accept overrides On-Default reject: dkim=fail delivered")
r = send(conn, simple("x@example.net"), {qid = "DEF2"})
check(r == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", FAILED),
    "On-Default reject applies to an unsigned message (On-NoSignature unset)")
mt.disconnect(conn)
