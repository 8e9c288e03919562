-- authz.lua - sender authorization: a login signs for its own domain, a
-- SenderAuthorization line lets it sign for another, anything else is
-- refused with On-Unauthorized (-D action=accept|reject|tempfail|discard).
-- The table (it-milter.sh): alice@example.com lists.example.org;
-- bob example.com. Every From domain used here has a key.
dofile(tdir .. "/lib.lua")

local q = "AZ-" .. action .. "-"
local replies = {reject = {"550", "5.7.1", AUTHZ}, tempfail = {"451", "4.7.5", AUTHZ}}

-- try - one message: whether it was refused with the action (nothing
-- signed), and how many signatures it got
local function try(from, o)
	local r, n, replied = originate(from, o, replies[action])
	local refused = replied
	if action == "discard" then
		refused = r == SMFIR_DISCARD
	elseif action == "accept" then
		refused = r == SMFIR_ACCEPT and n == 0
	end
	return {refused = refused, signed = n}
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
