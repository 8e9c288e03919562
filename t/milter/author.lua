-- author.lua - the From that chooses the key is read as RFC 5322 reads
-- it: the attacks get no signature for the victim's domain,
-- and a message whose author a reader may see otherwise is not signed
-- (and, verified, does not pass). example.com has keys; nokey.test none.
dofile(tdir .. "/lib.lua")

-- with_from - simple() with its From value replaced (and extra fields)
local function with_from(value, extra)
	local m = simple("unused@example.com", extra)
	for _, h in ipairs(m.headers) do
		if h[1] == "From" then
			h[2] = value
		end
	end
	return m
end

-- unsigned - send m as qid; true when dkimd added no field
local function unsigned(conn, m, qid)
	local r = send(conn, m, {qid = qid})
	return (r == SMFIR_ACCEPT or r == SMFIR_CONTINUE) and
	    #inserted(conn, "DKIM-Signature") == 0
end

local conn = open({daemon = "ORIGINATING"})
check(unsigned(conn, with_from(" (\\) <user@example.com>) evil@nokey.test"),
    "AUTHQP"), "author: '(\\) <user@example.com>) evil@nokey.test' is " ..
    "not signed with example.com's key")
check(unsigned(conn, with_from(" evil@nokey.test@example.com"), "AUTHAT"),
    "author: 'evil@nokey.test@example.com' is not signed for example.com")
check(unsigned(conn, with_from(" user@exam ple.com"), "AUTHSP"),
    "author: 'user@exam ple.com' is not signed as example.com")
check(unsigned(conn, with_from(" user@example.com, evil@nokey.test"),
    "AUTHTWO"), "author: two From mailboxes and no Sender: not signed")
check(unsigned(conn, with_from(""), "AUTHEMPTY"),
    "author: an empty From: not signed")
check(unsigned(conn, with_from(" Undisclosed recipients:;"), "AUTHGROUP"),
    "author: a group in From: not signed")
check(unsigned(conn, with_from(" user@example.com", {{" X-Lead",
    " From: user@example.com"}}), "AUTHWSP"),
    "author: a first field that begins with white space: not signed")
local two = with_from(" user@example.com")
table.insert(two.headers, {"From", " evil@nokey.test"})
check(unsigned(conn, two, "AUTHFROM2"), "author: two From fields: not signed")

local r = send(conn, with_from(" evil@nokey.test, user@example.com",
    {{"Sender", " <user@example.com>"}}), {qid = "AUTHSENDER"})
local sigs = table.concat(inserted(conn, "DKIM-Signature"), "\n")
check(sigs:find("d=example.com;", 1, true) ~= nil,
    "author: two From mailboxes, the Sender's domain signs")
r = send(conn, with_from(" Joe Q. \"Public, Esq.\" (CEO) <user@EXAMPLE.com>"),
    {qid = "AUTHOK"})
check(#inserted(conn, "DKIM-Signature") == 2,
    "author: a display name with a dot, quotes and a comment still signs")
mt.disconnect(conn)

-- verifying: a signed message behind a first line that begins with WSP
local m = readmsg(work .. "/signed.eml")
table.insert(m.headers, 1, {" X-Lead", " From: evil@nokey.test"})
conn = open({daemon = "INBOUND"})
r = send(conn, m, {qid = "AUTHVER"})
local ar = table.concat(inserted(conn, "Authentication-Results"), "\n")
check(ar:find("dkim=policy", 1, true) ~= nil and
    ar:find("dkim=pass", 1, true) == nil and
    ar:find("header begins with white space", 1, true) ~= nil,
    "author: verified, a leading-WSP first field gives policy, not pass")
mt.disconnect(conn)
