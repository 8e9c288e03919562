-- authz.lua - sender authorization: a login signs for its own domain, a
-- SenderAuthorization line lets it sign for another, anything else is
-- refused with On-Unauthorized (-D action=accept|reject|tempfail|discard).
-- The table (it-milter.sh): alice@example.com lists.example.org;
-- bob example.com. Every From domain used here has a key.
dofile(tdir .. "/lib.lua")

local q = "AZ-" .. action .. "-"

-- refused - reply r is the configured action, and nothing was signed
local function refused(conn, r)
	if action == "reject" then
		return r == SMFIR_REPLYCODE and
		    mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", AUTHZ)
	elseif action == "tempfail" then
		return r == SMFIR_REPLYCODE and
		    mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.5", AUTHZ)
	elseif action == "discard" then
		return r == SMFIR_DISCARD
	end
	return r == SMFIR_ACCEPT and #inserted(conn, "DKIM-Signature") == 0
end

-- try - one message on a connection of its own: whether it was refused
-- with the action, and how many signatures it got (nil: not accepted)
local function try(from, o)
	local conn = open({daemon = "ORIGINATING"})
	local r = send(conn, simple(from), o)
	local t = {refused = refused(conn, r)}
	if r == SMFIR_CONTINUE or r == SMFIR_ACCEPT then
		t.signed = #inserted(conn, "DKIM-Signature")
	end
	mt.disconnect(conn)
	return t
end

check(try("user@example.com", {qid = q .. "1", auth = "alice@example.com"}).signed == 2,
    action .. ": alice@example.com as example.com is signed")
check(try("ceo@pct.test", {qid = q .. "2", auth = "alice@example.com"}).refused,
    action .. ": attack: alice@example.com as pct.test (which has a key) " ..
    "is not signed, and " .. action .. " is applied")
check(try("news@lists.example.org", {qid = q .. "3", auth = "alice@example.com"}).signed == 1,
    action .. ": the table line lets alice sign as lists.example.org")
check(try("user@example.com", {qid = q .. "4", auth = "bob"}).signed == 2,
    action .. ": a login without a domain signs through its table line")
check(try("user@pct.test", {qid = q .. "5", auth = "bob"}).refused,
    action .. ": attack: ... and nothing else")
check(try("user@example.com", {qid = q .. "6", auth = "mallory@sub.example.com"}).refused,
    action .. ": attack: a subdomain's login may not sign as its parent")
check(try("User@Example.COM", {qid = q .. "7", auth = "Alice@EXAMPLE.com"}).signed == 2,
    action .. ": domains compare without case")
check(try("user@pct.test", {qid = q .. "8", envfrom = "x@example.com"}).signed == 1,
    action .. ": unauthenticated ORIGINATING mail signs as before " ..
    "(SenderAuthorizationEnvelope no)")
