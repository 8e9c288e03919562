-- kw-sigs.lua - RemoveOldSignatures yes, SoftwareHeader yes,
-- AlwaysAddARHeader no
dofile(tdir .. "/lib.lua")

local old = " v=1; a=rsa-sha256; c=relaxed/relaxed; d=evil.example; s=x;" ..
    " h=from; bh=AAAA; b=AAAA"
local m = simple("user@example.com", {{"DKIM-Signature", old},
    {"DKIM-Signature", old}})
local conn = open({daemon = "ORIGINATING"})
send(conn, m, {qid = "KWS1"})
local sigs = inserted(conn, "DKIM-Signature")
local filt = inserted(conn, "DKIM-Filter")
check(mt.eom_check(conn, MT_HDRDELETE, "DKIM-Signature") and #sigs == 1,
    "RemoveOldSignatures: the old DKIM-Signature fields are removed, ours is added")
check(#filt == 1 and filt[1] == " dkimd v" .. version .. " mx.test KWS1",
    "SoftwareHeader: signed mail gets DKIM-Filter: dkimd, version, AuthservID, queue id")
mt.disconnect(conn)
-- the message as delivered: the old ones gone, ours on top
local kept = {}
for _, h in ipairs(m.headers) do
	if h[1] ~= "DKIM-Signature" then
		table.insert(kept, h)
	end
end
m.headers = kept
writemsg(work .. "/rmold.eml", {{"DKIM-Signature", sigs[1]}}, m)

-- our own passing signature is replaced too, not kept as "already signed"
local signed = readmsg(work .. "/rmold.eml")
conn = open({daemon = "ORIGINATING"})
send(conn, signed, {qid = "KWS2"})
check(mt.eom_check(conn, MT_HDRDELETE, "DKIM-Signature") and
    #inserted(conn, "DKIM-Signature") == 1,
    "RemoveOldSignatures: even a passing signature of ours is replaced by a new one")
mt.disconnect(conn)

-- inbound: the signed message gets its result and a DKIM-Filter
conn = open({daemon = "INBOUND"})
send(conn, signed, {qid = "KWS3"})
local ar = inserted(conn, "Authentication-Results")
check(#ar == 1 and ar[1]:find("dkim=pass", 1, true) ~= nil and
    #inserted(conn, "DKIM-Filter") == 1,
    "RemoveOldSignatures: what was delivered verifies (dkim=pass), DKIM-Filter added")
mt.disconnect(conn)

-- AlwaysAddARHeader no: unsigned mail gets no Authentication-Results,
-- but a forged one of ours still goes
conn = open({daemon = "INBOUND"})
send(conn, simple("user@example.net", {
	{"Authentication-Results", " mx.test; dkim=pass header.d=example.net"},
}), {qid = "KWS4"})
check(#inserted(conn, "Authentication-Results") == 0 and
    mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results"),
    "AlwaysAddARHeader no: attack: unsigned mail gets no result of ours, and the forged one is removed")
mt.disconnect(conn)

-- attack: a queue id with a line break cannot start a field of its own
conn = open({daemon = "INBOUND"})
send(conn, simple("user@example.net"), {qid = "Q1\r\nX-Evil: 1"})
filt = inserted(conn, "DKIM-Filter")
check(#filt == 1 and filt[1] == " dkimd v" .. version .. " mx.test Q1X-Evil1",
    "SoftwareHeader: attack: CR, LF, ':' and spaces of the queue id are not written")
mt.disconnect(conn)

-- mail passed untouched (PeerList) gets no DKIM-Filter
conn = open({daemon = "ORIGINATING", ip = "203.0.113.5"})
send(conn, simple("user@example.com"), {qid = "KWS6"})
check(#inserted(conn, "DKIM-Filter") == 0 and
    #inserted(conn, "DKIM-Signature") == 0,
    "SoftwareHeader: mail neither signed nor verified (PeerList) gets no DKIM-Filter")
mt.disconnect(conn)
