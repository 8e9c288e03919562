-- authz-env.lua - SenderAuthorizationEnvelope yes: unauthenticated
-- ORIGINATING mail is authorized by its envelope sender ({mail_addr});
-- On-Unauthorized accept (the default): refused mail passes unsigned
dofile(tdir .. "/lib.lua")

-- count - the signatures one message got; nil when it was not accepted
local function count(from, o)
	local r, n = originate(from, o)
	if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
		return nil
	end
	return n
end

check(count("user@pct.test", {qid = "AZENV1", envfrom = "bob@pct.test"}) == 1,
    "envelope: bob@pct.test as pct.test is signed")
check(count("ceo@example.com", {qid = "AZENV2", envfrom = "bob@pct.test"}) == 0,
    "envelope: attack: bob@pct.test as example.com is accepted unsigned")
check(count("ceo@example.com", {qid = "AZENV3", envfrom = ""}) == 0,
    "envelope: attack: the null sender <> signs nothing")
check(count("news@lists.example.org", {qid = "AZENV4", envfrom = "alice@example.com"}) == 1,
    "envelope: the table applies to envelope senders")
check(count("ceo@pct.test", {qid = "AZENV5", envfrom = "bob@pct.test",
    auth = "alice@example.com"}) == 0,
    "envelope: attack: a login is judged by the login, not by a MAIL FROM it chose")
