-- lib.lua - helpers shared by dkimd's miltertest scripts (t/it-milter.sh)
--
-- Globals from miltertest -D: port (dkimd's TCP port), data (t/data/milter),
-- work (a writable temporary folder). Each check prints one line
-- "CHECK pass|fail WHAT", which it-milter.sh turns into a TAP test point.

-- the text of dkimd's SMTP reply when an On-* action refuses a message
-- (miltertest's MT_SMTPREPLY check matches only code, xcode and text)
FAILED = "DKIM verification failed"
-- ... and when On-Unauthorized refuses one
AUTHZ = "sender not authorized to sign for this From domain"

function check(cond, what)
	if cond then
		print("CHECK pass " .. what)
	else
		print("CHECK fail " .. what)
	end
	return cond
end

-- must - stop the script when a protocol step failed
function must(r, what)
	if r ~= nil then
		error(what .. ": " .. tostring(r))
	end
end

-- open - connect; c = {daemon=, ip=} for the connect-time macros
function open(c)
	c = c or {}
	local conn = mt.connect("inet:" .. port .. "@127.0.0.1", 40, 0.25)
	if conn == nil then
		error("cannot connect to dkimd on port " .. port)
	end
	if c.daemon then
		must(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", c.daemon,
		    "{client_addr}", c.ip or "127.0.0.1"), "macro")
	end
	must(mt.conninfo(conn, "client.test", c.ip or "127.0.0.1"), "conninfo")
	return conn
end

-- readmsg - a message file as {headers={{name, value}, ...}, body=}
-- (values keep their leading space and folding, as with HDR_LEADSPC)
function readmsg(path)
	local f = assert(io.open(path, "rb"))
	local text = f:read("*a")
	f:close()
	text = text:gsub("\r\n", "\n")
	local head, body = text:match("^(.-)\n\n(.*)$")
	if head == nil then
		head, body = text, ""
	end
	local m = {headers = {}, body = (body:gsub("\n", "\r\n"))}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and #m.headers > 0 then
			local h = m.headers[#m.headers]
			h[2] = h[2] .. "\n" .. line
		else
			local n, v = line:match("^([^:]+):(.*)$")
			if n then
				table.insert(m.headers, {n, v})
			end
		end
	end
	return m
end

-- simple - a small message from "from" with extra headers first
function simple(from, extra)
	local m = {headers = {}, body = "Hello,\r\n\r\nthis is a test.\r\n"}
	for _, h in ipairs(extra or {}) do
		table.insert(m.headers, h)
	end
	table.insert(m.headers, {"From", " Test User <" .. from .. ">"})
	table.insert(m.headers, {"To", " bob@example.net"})
	table.insert(m.headers, {"Subject", " test message"})
	table.insert(m.headers, {"Date", " Tue, 1 Dec 2026 12:00:00 +0000"})
	table.insert(m.headers, {"Message-ID", " <t" .. os.time() .. "@example.com>"})
	return m
end

-- final - whether reply r ends the message (no more steps are sent)
function final(r)
	return r == SMFIR_ACCEPT or r == SMFIR_REJECT or r == SMFIR_DISCARD or
	    r == SMFIR_TEMPFAIL or r == SMFIR_REPLYCODE
end

-- send - one message on conn; o = {qid=, auth=, envfrom=, rcpt=, macros=,
-- abort_in_body=} (envfrom: the envelope sender without <>, "" for the
-- null sender; rcpt: a list of envelope recipients without <>; macros:
-- more {name, value, ...} sent at MAIL)
-- returns the reply after end of message, or the verdict that ended it
-- early: dkimd answers neither MAIL nor end of header (SMFIP_NR_MAIL,
-- SMFIP_NR_EOH) and gives a verdict reached there at the first body chunk
function send(conn, m, o)
	o = o or {}
	local mac = {"i", o.qid or "TESTQID"}
	if o.auth then
		table.insert(mac, "{auth_authen}")
		table.insert(mac, o.auth)
		table.insert(mac, "{auth_type}")
		table.insert(mac, "PLAIN")
	end
	for _, v in ipairs(o.macros or {}) do
		table.insert(mac, v)
	end
	local envfrom = o.envfrom or "sender@example.com"
	table.insert(mac, "{mail_addr}")
	table.insert(mac, envfrom)
	must(mt.macro(conn, SMFIC_MAIL, table.unpack(mac)), "macro MAIL")
	must(mt.mailfrom(conn, "<" .. envfrom .. ">"), "mailfrom")
	for _, rcpt in ipairs(o.rcpt or {}) do
		must(mt.rcptto(conn, "<" .. rcpt .. ">"), "rcptto")
	end
	for _, h in ipairs(m.headers) do
		must(mt.header(conn, h[1], h[2]), "header " .. h[1])
	end
	must(mt.eoh(conn), "eoh")
	local r = mt.getreply(conn)
	if final(r) then
		return r
	end
	if o.abort_in_body then
		must(mt.bodystring(conn, m.body:sub(1, 5)), "body")
		must(mt.abort(conn), "abort")
		return nil
	end
	must(mt.bodystring(conn, m.body), "body")
	r = mt.getreply(conn)
	if final(r) then
		return r
	end
	must(mt.eom(conn), "eom")
	return mt.getreply(conn)
end

-- writemsg - the message as the MTA would pass it on: inserted fields
-- (name, value pairs) at the top, CRLF line ends
function writemsg(path, added, m)
	local f = assert(io.open(path, "wb"))
	for _, h in ipairs(added) do
		f:write(((h[1] .. ":" .. h[2]):gsub("\r?\n", "\r\n")) .. "\r\n")
	end
	for _, h in ipairs(m.headers) do
		f:write(((h[1] .. ":" .. h[2]):gsub("\r?\n", "\r\n")) .. "\r\n")
	end
	f:write("\r\n" .. m.body)
	f:close()
end

-- inserted - every value of field name inserted at eom
function inserted(conn, name)
	local t, i = {}, 0
	while true do
		local v = mt.getheader(conn, name, i)
		if v == nil then
			return t
		end
		table.insert(t, v)
		i = i + 1
	end
end

-- originate - one message from "from" on an ORIGINATING connection of its
-- own (o as for send); returns the reply, the number of DKIM-Signature
-- fields inserted (0 unless accepted) and, when want = {code, xcode,
-- text}, whether the SMTP reply was that one
function originate(from, o, want)
	local conn = open({daemon = "ORIGINATING"})
	local r = send(conn, simple(from), o)
	local n = 0
	if r == SMFIR_CONTINUE or r == SMFIR_ACCEPT then
		n = #inserted(conn, "DKIM-Signature")
	end
	local replied = want ~= nil and r == SMFIR_REPLYCODE and
	    mt.eom_check(conn, MT_SMTPREPLY, want[1], want[2], want[3])
	mt.disconnect(conn)
	return r, n, replied
end
