-- verify.lua - other mail is verified: pass, fail, none, permerror
dofile(tdir .. "/lib.lua")

local function ar(conn)
	local t = inserted(conn, "Authentication-Results")
	return #t == 1 and t[1] or ""
end

local conn = open({daemon = "INBOUND"})
local signed = readmsg(work .. "/signed.eml")
local r = send(conn, signed, {qid = "VER1"})
local v = ar(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "verify: signed message accepted")
check(v:sub(1, 9) == " mx.test;", "verify: one Authentication-Results with our AuthservID")
check(v:find("dkim=pass[^;]-header%.d=example%.com") ~= nil,
    "verify: dkimd's own rsa-sha256 signature gives dkim=pass")
check(select(2, v:gsub("dkim=pass", "")) == 2,
    "verify: both signatures (rsa-sha256, ed25519-sha256) pass")
check(not v:find("\r"), "verify: Authentication-Results folded with LF only")

local bad = readmsg(work .. "/signed.eml")
bad.body = bad.body .. "an added line\r\n"
send(conn, bad, {qid = "VER2"})
v = ar(conn)
check(v:find("dkim=fail", 1, true) ~= nil and not v:find("dkim=pass", 1, true),
    "verify: a body changed after signing gives dkim=fail")

send(conn, simple("someone@example.net"), {qid = "VER3"})
check(ar(conn):find("dkim=none", 1, true) ~= nil,
    "verify: an unsigned message gives dkim=none")

local gone = readmsg(work .. "/signed-org.eml")
gone.headers[1][2] = gone.headers[1][2]:gsub("s=ed1;", "s=gone;")
send(conn, gone, {qid = "VER4"})
check(ar(conn):find("dkim=permerror", 1, true) ~= nil,
    "verify: a selector without a key record gives dkim=permerror")

send(conn, readmsg(work .. "/signed-org.eml"), {qid = "VER5"})
check(ar(conn):find("dkim=pass[^;]-header%.d=lists%.example%.org") ~= nil,
    "verify: ed25519-sha256 signature of a '%' key passes")
mt.disconnect(conn)
