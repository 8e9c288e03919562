-- kw-lbytes.lua - MaximumSignedBytes 100: l= as OpenDKIM writes it, and
-- dkimd's own verifier still gives content after l= no pass
-- (UnsignedBodyContent policy, the default)
dofile(tdir .. "/lib.lua")

-- sign m on an ORIGINATING connection; its one signature's value
local function sign(m, qid)
	local conn = open({daemon = "ORIGINATING"})
	send(conn, m, {qid = qid})
	local t = inserted(conn, "DKIM-Signature")
	mt.disconnect(conn)
	return t[1] or ""
end

-- verify m with signature sig inbound; our Authentication-Results
local function verify(m, sig, qid)
	local v = {headers = {{"DKIM-Signature", sig}}, body = m.body}
	for _, h in ipairs(m.headers) do
		table.insert(v.headers, h)
	end
	local conn = open({daemon = "INBOUND"})
	send(conn, v, {qid = qid})
	local t = inserted(conn, "Authentication-Results")
	mt.disconnect(conn)
	return t[1] or ""
end

local short = simple("user@example.com")
local sig = sign(short, "LB1")
check(sig:find("l=27;", 1, true) ~= nil,
    "MaximumSignedBytes: a body shorter than the limit is signed whole, with l= its length (27)")
check(verify(short, sig, "LB2"):find("dkim=pass", 1, true) ~= nil,
    "MaximumSignedBytes: that signature verifies (dkim=pass)")
local grown = {headers = short.headers,
    body = short.body .. "Urgent: pay to http://evil.example/\r\n"}
local ar = verify(grown, sig, "LB3")
check(ar:find("dkim=policy", 1, true) ~= nil and ar:find("dkim=pass", 1, true) == nil,
    "MaximumSignedBytes: attack: text appended after l= gets policy, never pass")

local long = simple("user@example.com")
long.body = string.rep("0123456789abcdefghijklmnopqrstu\r\n", 10)
sig = sign(long, "LB4")
check(sig:find("l=100;", 1, true) ~= nil,
    "MaximumSignedBytes: a longer body is signed up to the limit: l=100")
ar = verify(long, sig, "LB5")
check(ar:find("dkim=policy", 1, true) ~= nil,
    "MaximumSignedBytes: our own l= short of the body is policy too (UnsignedBodyContent)")
