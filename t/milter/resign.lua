-- resign.lua - a message that already carries our valid signatures is not
-- signed twice; one whose signature broke is signed again
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
send(conn, readmsg(work .. "/signed.eml"), {qid = "RESIGN1"})
check(#inserted(conn, "DKIM-Signature") == 0,
    "resign: a message with our passing signatures gets no new ones")
local bad = readmsg(work .. "/signed.eml")
bad.body = bad.body .. "changed\r\n"
send(conn, bad, {qid = "RESIGN2"})
check(#inserted(conn, "DKIM-Signature") == 2,
    "resign: a message whose old signatures fail is signed again")
mt.disconnect(conn)
