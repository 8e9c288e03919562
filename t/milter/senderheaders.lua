-- senderheaders.lua - SenderHeaders Sender,From and On-BadAuthor reject
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
local m = simple("user@nokey.test", {{"Sender", " Boss <user@example.com>"}})
local r = send(conn, m, {qid = "SH1"})
local sigs = table.concat(inserted(conn, "DKIM-Signature"), "\n")
check(sigs:find("d=example.com;", 1, true) ~= nil,
    "SenderHeaders Sender,From: the Sender's domain signs")
r = send(conn, simple("user@example.com"), {qid = "SH2"})
check(#inserted(conn, "DKIM-Signature") == 2,
    "SenderHeaders Sender,From: without a Sender, the From's domain signs")
m = simple("user@example.com")
for _, h in ipairs(m.headers) do
	if h[1] == "From" then
		h[2] = " user@example.com@victim.example"
	end
end
r = send(conn, m, {qid = "SH3"})
check(r == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "550",
    "5.7.1", "From does not name one valid author"),
    "On-BadAuthor reject: a From that does not parse is refused 550 5.7.1")
mt.disconnect(conn)
