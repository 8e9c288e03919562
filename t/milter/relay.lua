-- relay.lua - Mode sv, OpenDKIM's rule: mail chosen for signing whose From
-- has no key is verified instead (a content filter re-injecting inbound
-- mail keeps its Authentication-Results); refusals to sign are unchanged.
-- relay.eml (it-milter.sh): From user@nokey.test, signed d=pct.test.
dofile(tdir .. "/lib.lua")

local FORGED = {"Authentication-Results", " mx.test; dkim=pass header.d=nokey.test"}

-- relayed - relay.eml with a forged A-R on top, from conn c; the reply,
-- the A-R and signatures inserted, whether the forgery was deleted
local function relayed(c, qid)
	local conn = open(c)
	local m = readmsg(work .. "/relay.eml")
	table.insert(m.headers, 1, FORGED)
	local r = send(conn, m, {qid = qid})
	local ar = inserted(conn, "Authentication-Results")
	local sigs = #inserted(conn, "DKIM-Signature")
	local del = mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results")
	mt.disconnect(conn)
	return r, ar, sigs, del
end

local r, ar, sigs, del = relayed({daemon = "ORIGINATING"}, "RELAY1")
check(r == SMFIR_CONTINUE and #ar == 1 and sigs == 0 and
    ar[1]:find("^ mx%.test;") ~= nil and
    ar[1]:find("dkim=pass[^;]-header%.d=pct%.test") ~= nil,
    "relay: ORIGINATING mail with no key for its From is verified: our A-R, dkim=pass, no signature")
check(del, "relay: attack: the forged A-R claiming our authserv-id is removed from it")

r, ar, sigs, del = relayed({daemon = "INBOUND", ip = "192.0.2.9"}, "RELAY2")
check(r == SMFIR_CONTINUE and #ar == 1 and sigs == 0 and del and
    ar[1]:find("dkim=pass[^;]-header%.d=pct%.test") ~= nil,
    "relay: InternalHosts mail with no key for its From is verified, the forged A-R removed")

local conn = open({daemon = "INBOUND", ip = "192.0.2.9"})
r = send(conn, simple("user@example.com", {FORGED}), {qid = "RELAY3"})
check(r == SMFIR_CONTINUE and #inserted(conn, "DKIM-Signature") == 2 and
    #inserted(conn, "Authentication-Results") == 0,
    "relay: InternalHosts mail with a key is signed and gets no A-R")
mt.disconnect(conn)

-- a login that may not sign for the From: On-Unauthorized (accept), as
-- before: neither signed nor verified, even when the From has no key
conn = open({daemon = "INBOUND"})
r = send(conn, readmsg(work .. "/relay.eml"),
    {qid = "RELAY4", auth = "alice@example.com"})
check(r == SMFIR_ACCEPT and #inserted(conn, "Authentication-Results") == 0 and
    #inserted(conn, "DKIM-Signature") == 0,
    "relay: attack: an unauthorized login's mail is not verified instead (On-Unauthorized as before)")
r = send(conn, simple("ceo@pct.test"), {qid = "RELAY5", auth = "alice@example.com"})
check(r == SMFIR_ACCEPT and #inserted(conn, "Authentication-Results") == 0,
    "relay: attack: an unauthorized login for a domain with a key: On-Unauthorized as before")
mt.disconnect(conn)

-- a bad author: On-BadAuthor (accept), not verified
r = originate("evil@nokey.test@example.com", {qid = "RELAY6"})
check(r == SMFIR_ACCEPT, "relay: a From that does not parse still takes On-BadAuthor, not verification")
