-- multi.lua - several messages and an abort on one connection leave no state
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
for i = 1, 3 do
	send(conn, simple("user" .. i .. "@example.com"), {qid = "MULTI" .. i})
	check(#inserted(conn, "DKIM-Signature") == 2,
	    "multi: message " .. i .. " of 3 on one connection signed")
end
send(conn, simple("user@example.com"), {qid = "ABORT1", abort_in_body = true})
send(conn, simple("user@example.com"), {qid = "MULTI4"})
check(#inserted(conn, "DKIM-Signature") == 2,
    "multi: after an abort in the body the next message is signed")
mt.disconnect(conn)

conn = open({daemon = "INBOUND"})
send(conn, simple("x@example.net", {{"Authentication-Results", " mx.test; dkim=pass"}}),
    {qid = "MULTI5"})
check(mt.eom_check(conn, MT_HDRDELETE), "multi: forged field removed in message 1")
send(conn, simple("x@example.net"), {qid = "MULTI6"})
check(not mt.eom_check(conn, MT_HDRDELETE),
    "multi: message 2 deletes nothing (no index left over from message 1)")
-- a client that goes away in the middle of a message
local m = simple("x@example.net")
must(mt.macro(conn, SMFIC_MAIL, "i", "GONE1"), "macro")
must(mt.mailfrom(conn, "<a@example.net>"), "mailfrom")
must(mt.header(conn, "From", " a@example.net"), "header")
mt.disconnect(conn, false)

conn = open({daemon = "INBOUND"})
send(conn, simple("x@example.net"), {qid = "MULTI7"})
check(#inserted(conn, "Authentication-Results") == 1,
    "multi: dkimd still serves after a client vanished mid-message")
mt.disconnect(conn)
