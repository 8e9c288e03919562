-- kw-required.lua - RequiredHeaders yes: header field counts of RFC 5322
-- section 3.6, or a 550 5.6.0
dofile(tdir .. "/lib.lua")

local TEXT = "header field counts break RFC 5322 section 3.6"

-- send m on a connection of daemon d; 1 when it got our 550
local function rejected(d, m, qid)
	local conn = open({daemon = d})
	local r = send(conn, m, {qid = qid})
	local got = r == SMFIR_REPLYCODE and
	    mt.eom_check(conn, MT_SMTPREPLY, "550", "5.6.0", TEXT)
	mt.disconnect(conn)
	return got
end

check(not rejected("ORIGINATING", simple("user@example.com"), "RQ1"),
    "RequiredHeaders: a message with one of each field passes")
check(rejected("INBOUND", simple("user@example.net", {{"Subject", " other face"}}), "RQ2"),
    "RequiredHeaders: attack: a second Subject (one message, two faces) is rejected")
check(rejected("INBOUND", simple("user@example.net", {{"FROM", " <ceo@bank.example>"}}), "RQ3"),
    "RequiredHeaders: attack: a second From, in other case, is rejected")
local m = simple("user@example.com")
for i, h in ipairs(m.headers) do
	if h[1] == "Date" then
		table.remove(m.headers, i)
		break
	end
end
check(rejected("ORIGINATING", m, "RQ4"),
    "RequiredHeaders: a message without Date is rejected, signing or not")
