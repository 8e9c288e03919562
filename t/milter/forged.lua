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

-- the id is the token that starts the value, whatever follows
-- it or precedes it as white space of some kind (VT, FF, NBSP, EM SPACE,
-- NEL, '/', ','): parsers that split on Unicode white space read these
-- as ours, so they go too
conn = open({daemon = "INBOUND"})
m = simple("someone@example.net", {
	{"Authentication-Results", " mx.test\v; dkim=pass"},		-- 1 ours
	{"Authentication-Results", " mx.test\f; dkim=pass"},		-- 2 ours
	{"Authentication-Results", " mx.test\194\160; dkim=pass"},	-- 3 ours (NBSP)
	{"Authentication-Results", " mx.test\226\128\131; dkim=pass"},	-- 4 ours (EM SPACE)
	{"Authentication-Results", " mx.test\194\133; dkim=pass"},	-- 5 ours (NEL)
	{"Authentication-Results", " mx.test/1; dkim=pass"},		-- 6 ours
	{"Authentication-Results", " mx.test,x; dkim=pass"},		-- 7 ours
	{"Authentication-Results", " other.example; dkim=pass"},	-- 8
	{"Authentication-Results", " \194\160mx.test; dkim=pass"},	-- 9 ours
	{"Authentication-Results", "(c)\n\t(d) mx.test; dkim=pass"},	-- 10 ours
	{"Authentication-Results", " mx.test.evil/1; dkim=pass"},	-- 11
})
send(conn, m, {qid = "FORGED3"})
check(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results"),
    "forged: disguises after and before the id (VT, FF, NBSP, EM SPACE, NEL, '/', ',') deleted")
t = inserted(conn, "Authentication-Results")
check(#t == 1 and t[1]:find("mx.test; dkim=none", 1, true) ~= nil,
    "forged: our own Authentication-Results inserted after the disguises")
mt.disconnect(conn)
