-- kw-exignore.lua - inbound mail as example.com (a domain dkimd signs
-- for) from a client in ExternalIgnoreList (192.0.2.*) and from others;
-- it-kw.sh reads which were noted in the log
dofile(tdir .. "/lib.lua")

local function from(ip, author, qid)
	local conn = open({daemon = "INBOUND", ip = ip})
	send(conn, simple(author), {qid = qid})
	local n = #inserted(conn, "Authentication-Results")
	mt.disconnect(conn)
	return n
end

check(from("198.51.100.9", "user@example.com", "EXI1") == 1,
    "ExternalIgnoreList: mail as our domain from an external host is verified")
check(from("192.0.2.5", "user@example.com", "EXI2") == 1,
    "ExternalIgnoreList: mail from a listed host is verified all the same")
from("198.51.100.9", "user@example.net", "EXI3")
