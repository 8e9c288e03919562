-- sign.lua - ORIGINATING mail is signed; the signatures go on top, exact
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
check(mt.test_option(conn, SMFIP_HDR_LEADSPC),
    "sign: dkimd negotiates SMFIP_HDR_LEADSPC")
local m = simple("user@example.com")
local r = send(conn, m, {qid = "SIGN1"})
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "sign: message accepted")
local sigs = inserted(conn, "DKIM-Signature")
check(#sigs == 2, "sign: two SigningTable matches (MultipleSignatures) give two signatures")
check(sigs[1] ~= nil and sigs[1]:sub(1, 5) == " v=1;",
    "sign: inserted value keeps its leading space (HDR_LEADSPC)")
local all = table.concat(sigs, "\n")
check(not all:find("\r"), "sign: folding sent to the MTA as LF, no CR")
check(all:find("d=example.com; s=sel1;", 1, true) ~= nil,
    "sign: an rsa-sha256 signature d=example.com s=sel1")
check(all:find("a=ed25519-sha256", 1, true) ~= nil,
    "sign: an ed25519-sha256 signature from the second match")
check(#inserted(conn, "Authentication-Results") == 0,
    "sign: no Authentication-Results on mail we sign")
check(mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature"),
    "sign: DKIM-Signature inserted (not appended)")
local added = {}
-- each was inserted at index 0, so the last one is on top
for i = #sigs, 1, -1 do
	table.insert(added, {"DKIM-Signature", sigs[i]})
end
writemsg(work .. "/signed.eml", added, m)

-- the same connection, a second message: a subdomain via the refile
local m2 = simple("someone@lists.example.org")
r = send(conn, m2, {qid = "SIGN2"})
sigs = inserted(conn, "DKIM-Signature")
check(#sigs == 1 and sigs[1]:find("d=lists.example.org;", 1, true) ~= nil,
    "sign: '%' in the KeyTable becomes the From domain")
writemsg(work .. "/signed-org.eml", {{"DKIM-Signature", sigs[1] or ""}}, m2)
mt.disconnect(conn)
