-- actions.lua - On-NoSignature reject, On-BadSignature tempfail,
-- On-KeyNotFound discard, On-InternalError tempfail
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "INBOUND"})
local r = send(conn, simple("x@example.net"), {qid = "ACT1"})
check(r == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", FAILED),
    "On-NoSignature reject: unsigned message rejected with 550 5.7.1")

local bad = readmsg(work .. "/signed.eml")
bad.body = bad.body .. "changed\r\n"
r = send(conn, bad, {qid = "ACT2"})
check(r == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.5", FAILED),
    "On-BadSignature tempfail: failing signature answered 451 4.7.5")

local gone = readmsg(work .. "/signed-org.eml")
gone.headers[1][2] = gone.headers[1][2]:gsub("s=ed1;", "s=gone;")
r = send(conn, gone, {qid = "ACT3"})
check(r == SMFIR_DISCARD, "On-KeyNotFound discard: signature without key discarded")

r = send(conn, readmsg(work .. "/signed.eml"), {qid = "ACT4"})
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
    "actions: a passing signature is accepted whatever the On-* say")
check(#inserted(conn, "Authentication-Results") == 1,
    "actions: the passing message gets its Authentication-Results")
mt.disconnect(conn)

local filler = {}
for i = 1, 60 do
	table.insert(filler, {"X-Filler-" .. i, " " .. string.rep("y", 500)})
end
conn = open({daemon = "ORIGINATING"})
r = send(conn, simple("user@example.com", filler), {qid = "ACT5"})
check(r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL,
    "On-InternalError tempfail: signing over the header ceiling is answered 4xx")
mt.disconnect(conn)
