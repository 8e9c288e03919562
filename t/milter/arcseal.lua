-- arcseal.lua - ARC sealing on a daemon of ARCSealMTA (FORWARD): a new
-- set on top of a verified chain, cv=fail on a broken one, nothing on
-- another daemon, nothing (and nothing lost) after a cv=fail seal or at
-- 50 sets; a forged Authentication-Results is never sealed
dofile(tdir .. "/lib.lua")

local function one(conn, name)
	local t = inserted(conn, name)
	return #t == 1 and t[1] or nil, #t
end

-- sealed - send path on a FORWARD connection; the fields inserted, and
-- the message as delivered written to out (ARC-Seal on top)
local function sealed(path, qid, out, daemon)
	local conn = open({daemon = daemon or "FORWARD", ip = "192.0.2.7"})
	local m = readmsg(path)
	local r = send(conn, m, {qid = qid})
	local f = {r = r}
	for _, n in ipairs({"ARC-Seal", "ARC-Message-Signature",
	    "ARC-Authentication-Results", "Authentication-Results"}) do
		f[n], f[n .. "#"] = one(conn, n)
	end
	if out and f["ARC-Seal"] then
		writemsg(out, {{"ARC-Seal", f["ARC-Seal"]},
		    {"ARC-Message-Signature", f["ARC-Message-Signature"]},
		    {"ARC-Authentication-Results",
		    f["ARC-Authentication-Results"]},
		    {"Authentication-Results", f["Authentication-Results"]}}, m)
	end
	mt.disconnect(conn)
	return f
end

local f = sealed(work .. "/arc-2hops.eml", "SEAL1", work .. "/sealed3.eml")
check(f.r == SMFIR_CONTINUE or f.r == SMFIR_ACCEPT,
    "arcseal: the message goes on")
check(f["ARC-Seal"] and f["ARC-Seal"]:find("i=3; cv=pass", 1, true),
    "arcseal: a 2-hop passing chain gets ARC-Seal i=3 cv=pass")
check(f["ARC-Seal"] and f["ARC-Seal"]:find("d=example.com", 1, true) and
    f["ARC-Seal"]:find("s=sel1", 1, true),
    "arcseal: the seal's d= and s= are ARCKey's (sel1)")
check(f["ARC-Message-Signature"] and
    f["ARC-Message-Signature"]:find("i=3;", 1, true),
    "arcseal: one ARC-Message-Signature i=3")
local aar = f["ARC-Authentication-Results"] or ""
check(aar:find("^ ?i=3; mx.test;") and aar:find("dkim=pass", 1, true) and
    aar:find("arc=pass", 1, true),
    "arcseal: the AAR i=3 copies this hop's dkim=pass and arc=pass")

-- RSA only, for dkimpy (which has no Ed25519 for ARC): checked after
f = sealed(work .. "/arc-rsa1.eml", "SEALRSA", work .. "/sealed-rsa.eml")
check(f["ARC-Seal"] and f["ARC-Seal"]:find("i=2; cv=pass", 1, true),
    "arcseal: a 1-hop RSA chain gets ARC-Seal i=2 cv=pass")

f = sealed(work .. "/arc-body.eml", "SEAL2", work .. "/sealed-fail.eml")
check(f["ARC-Seal"] and f["ARC-Seal"]:find("i=3; cv=fail", 1, true),
    "arcseal: a chain that fails (body changed) is sealed i=3 cv=fail")

f = sealed(work .. "/sealed-fail.eml", "SEAL3")
check(f["ARC-Seal#"] == 0 and f["ARC-Message-Signature#"] == 0 and
    f["ARC-Authentication-Results#"] == 0,
    "arcseal: a chain sealed cv=fail is never continued")
check((f.r == SMFIR_CONTINUE or f.r == SMFIR_ACCEPT) and
    f["Authentication-Results"] and
    f["Authentication-Results"]:find("arc=fail", 1, true),
    "arcseal: ... and the message is delivered with arc=fail")

f = sealed(work .. "/arc-50.eml", "SEAL50")
check(f["ARC-Seal#"] == 0 and (f.r == SMFIR_CONTINUE or
    f.r == SMFIR_ACCEPT) and f["Authentication-Results"] ~= nil,
    "arcseal: a message of 50 ARC sets is not sealed, and not lost")

f = sealed(work .. "/arc-2hops.eml", "SEALIN", nil, "INBOUND")
check(f["ARC-Seal#"] == 0 and f["Authentication-Results"] ~= nil,
    "arcseal: a daemon not in ARCSealMTA verifies and does not seal")

-- a sender's forged A-R naming our authserv-id: removed, never sealed
local m = readmsg(work .. "/arc-2hops.eml")
table.insert(m.headers, 1, {"Authentication-Results",
    " mx.test; spf=pass smtp.mailfrom=forged.example"})
local conn = open({daemon = "FORWARD", ip = "192.0.2.7"})
send(conn, m, {qid = "SEALFORGED"})
aar = one(conn, "ARC-Authentication-Results") or ""
check(aar:find("dkim=pass", 1, true) and not aar:find("spf=", 1, true) and
    not aar:find("forged.example", 1, true),
    "arcseal: a forged Authentication-Results of our authserv-id is not copied into the AAR")
mt.disconnect(conn)

-- signing is not sealing: ORIGINATING (in MTA and ARCSealMTA) signs
conn = open({daemon = "ORIGINATING"})
send(conn, simple("user@example.com"), {qid = "SEALSIGN"})
check(#inserted(conn, "ARC-Seal") == 0 and
    #inserted(conn, "DKIM-Signature") > 0,
    "arcseal: mail that is signed is not sealed")
mt.disconnect(conn)
