-- kw-internal.lua - InternalHosts refile: with "198.51.100.*",
-- "!198.51.100.66", "10.0.0.0/8" and "!10.1.0.0/16" (in that order)
dofile(tdir .. "/lib.lua")

-- one message from client ip on a non-signing daemon; signatures added
local function from(ip, qid)
	local conn = open({daemon = "INBOUND", ip = ip})
	send(conn, simple("user@example.com"), {qid = qid})
	local n = #inserted(conn, "DKIM-Signature")
	mt.disconnect(conn)
	return n
end

check(from("198.51.100.5", "IH1") == 1,
    "InternalHosts refile: a client matching the pattern 198.51.100.* is signed for")
check(from("198.51.100.66", "IH2") == 0,
    "InternalHosts refile: attack: the excluded address inside the pattern is not")
check(from("10.2.3.4", "IH3") == 1,
    "InternalHosts refile: a CIDR entry beside the patterns still counts")
check(from("10.1.2.3", "IH4") == 0,
    "InternalHosts: attack: an exclusion written after a wider block still excludes (OpenDKIM: most precise wins)")
check(from("198.51.10.5", "IH5") == 0 and from("203.0.113.9", "IH6") == 0,
    "InternalHosts refile: other clients are verified, not signed for")
