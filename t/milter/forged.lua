-- forged.lua - Authentication-Results claiming our authserv-id are removed
-- (miltertest overflows a stack buffer on fields over ~1 KB, so the long
-- forged field here is 0.9 KB; longer ones go through Postfix in t/e2e.)
dofile(tdir .. "/lib.lua")

local big = " mx.test; dkim=pass reason=\"" .. string.rep("x", 900) .. "\""
local conn = open({daemon = "INBOUND"})
local m = simple("someone@example.net", {
	{"Authentication-Results", " mx.test; dkim=pass"},		-- 1 ours
	{"Authentication-Results", " other.example; dkim=pass"},	-- 2
	{"AUTHENTICATION-RESULTS", " MX.TEST; dkim=pass"},		-- 3 ours
	{"Authentication-Results", " (forged) mx.test (x); dkim=pass"},	-- 4 ours
	{"Authentication-Results", " mx.test 1; dkim=pass"},		-- 5 ours
	{"Authentication-Results", " \"mx.test\"; dkim=pass"},		-- 6 ours
	{"Authentication-Results", " mx.test.; dkim=pass"},		-- 7 ours
	{"Authentication-Results", " mx.test.evil; dkim=pass"},		-- 8
	{"Authentication-Results", big},				-- 9 ours
	{"Authentication-Results", " notmx.test;\n\tdkim=pass"},	-- 10
})
send(conn, m, {qid = "FORGED1"})
check(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results"),
    "forged: forged Authentication-Results deleted")
local t = inserted(conn, "Authentication-Results")
check(#t == 1 and t[1]:find("mx.test; dkim=none", 1, true) ~= nil,
    "forged: our own Authentication-Results inserted")

-- only foreign ones: nothing is deleted
m = simple("someone@example.net", {
	{"Authentication-Results", " other.example; dkim=pass"},
	{"Authentication-Results", " mx.test.example; spf=pass"},
})
send(conn, m, {qid = "FORGED2"})
check(not mt.eom_check(conn, MT_HDRDELETE),
    "forged: foreign authserv-ids (other.example, mx.test.example) stay")
mt.disconnect(conn)
