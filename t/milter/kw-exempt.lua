-- kw-exempt.lua - ExemptDomains exempt.test, other.test: mail whose author
-- domain is listed is neither signed nor verified; the domain is the one
-- the strict From parser reads, compared exactly
dofile(tdir .. "/lib.lua")

local r, n = originate("user@exempt.test", {qid = "EX1"})
check(n == 0, "ExemptDomains: ORIGINATING mail from an exempt domain is not signed")
r, n = originate("user@OTHER.test", {qid = "EX2"})
check(n == 0, "ExemptDomains: the domain is compared without case")
r, n = originate("user@example.com", {qid = "EX3"})
check(n == 1, "ExemptDomains: mail of a domain not listed is signed as before")
r, n = originate("user@sub.exempt.test", {qid = "EX4"})
check(n == 1, "ExemptDomains: a subdomain of an exempt domain is not exempt (exact match)")

-- inbound: exempt mail gets no Authentication-Results of ours
local conn = open({daemon = "INBOUND"})
send(conn, simple("user@exempt.test"), {qid = "EX5"})
check(#inserted(conn, "Authentication-Results") == 0 and
    not mt.eom_check(conn, MT_HDRDELETE),
    "ExemptDomains: inbound mail from an exempt domain is not verified")
mt.disconnect(conn)

-- attack: an exempt From carrying a forged result of ours; it must go
conn = open({daemon = "INBOUND"})
send(conn, simple("user@exempt.test", {
	{"Authentication-Results", " mx.test; dkim=pass header.d=bank.example"},
}), {qid = "EX6"})
check(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results") and
    #inserted(conn, "Authentication-Results") == 0,
    "ExemptDomains: attack: a forged Authentication-Results of ours in exempt mail is removed")
mt.disconnect(conn)

-- attack: the exempt domain only in the display name; the author is
-- bank.example, which is verified (and has no signature)
conn = open({daemon = "INBOUND"})
local m = simple("x@example.net")
for _, h in ipairs(m.headers) do
	if h[1] == "From" then
		h[2] = " \"user@exempt.test\" <ceo@bank.example>"
	end
end
send(conn, m, {qid = "EX7"})
local t = inserted(conn, "Authentication-Results")
check(#t == 1 and t[1]:find("dkim=none", 1, true) ~= nil,
    "ExemptDomains: attack: an exempt address in the display name does not exempt the real author")
mt.disconnect(conn)

-- attack: two From mailboxes, the first exempt, no Sender: no single
-- author, so not exempt; verified, and never a pass
conn = open({daemon = "INBOUND"})
m = simple("x@example.net")
for _, h in ipairs(m.headers) do
	if h[1] == "From" then
		h[2] = " a@exempt.test, ceo@bank.example"
	end
end
send(conn, m, {qid = "EX8"})
t = inserted(conn, "Authentication-Results")
check(#t == 1 and t[1]:find("dkim=pass", 1, true) == nil,
    "ExemptDomains: attack: a From listing an exempt mailbox beside another is verified")
mt.disconnect(conn)

-- attack: the exempt domain as a subdomain label of another domain
conn = open({daemon = "INBOUND"})
send(conn, simple("user@exempt.test.evil.example"), {qid = "EX10"})
check(#inserted(conn, "Authentication-Results") == 1,
    "ExemptDomains: attack: exempt.test.evil.example is not exempt.test")
mt.disconnect(conn)
