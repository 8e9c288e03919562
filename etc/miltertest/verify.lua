-- verify.lua - ask a running dkimd to verify a message, as the MTA would
--
--	miltertest -s verify.lua [-D socket=inet:8891@127.0.0.1]
--	    [-D message=signed.eml] [-D daemon=MTA]
--
-- Set, here or with -D:
--	socket	dkimd's Socket, in libmilter's spelling (dkimd.conf)
--	message	the message file to verify (default: what sign.lua wrote;
--		its key must be published in DNS, see dkimtool testkeys)
--	daemon	the {daemon_name} the MTA sends; a name that is not one of
--		dkimd's MTA names (default MTA) is verified
-- Prints the Authentication-Results dkimd would add, and says so when it
-- would also remove the message's own Authentication-Results that claim
-- its AuthservID (forged ones). Exits non-zero when dkimd adds none.

socket = socket or "inet:8891@127.0.0.1"
message = message or "signed.eml"
daemon = daemon or "MTA"

-- fail - say why on stderr and exit 1 (miltertest prints no Lua errors)
local function fail(why)
	io.stderr:write("verify.lua: " .. why .. "\n")
	os.exit(1)
end

-- step - stop when a milter step fails
local function step(r, what)
	if r ~= nil then
		fail(what .. " failed: " .. tostring(r))
	end
end

-- the message: header fields (folded lines kept) and body, CRLF ends
local f = io.open(message, "rb")
if f == nil then
	fail("cannot read " .. message)
end
local text = f:read("*a"):gsub("\r\n", "\n")
f:close()
local head, body = text:match("^(.-)\n\n(.*)$")
if head == nil then
	head, body = text, ""
end
local headers = {}
for line in (head .. "\n"):gmatch("(.-)\n") do
	if line:match("^[ \t]") and #headers > 0 then
		headers[#headers][2] = headers[#headers][2] .. "\n" .. line
	else
		local n, v = line:match("^([^:]+):(.*)$")
		if n then
			table.insert(headers, {n, v})
		end
	end
end

-- miltertest itself exits 1, silently, when it cannot connect
io.stderr:write("verify.lua: connecting to dkimd at " .. socket .. "\n")
local conn = mt.connect(socket, 10, 0.5)
if conn == nil then
	fail("cannot connect to dkimd at " .. socket)
end
step(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon,
    "{client_addr}", "192.0.2.1"), "connect macros")
step(mt.conninfo(conn, "mail.example.net", "192.0.2.1"), "connect")
step(mt.macro(conn, SMFIC_MAIL, "i", "MILTERTEST"), "MAIL macros")
step(mt.mailfrom(conn, "<sender@example.net>"), "MAIL FROM")
for _, h in ipairs(headers) do
	step(mt.header(conn, h[1], h[2]), "header " .. h[1])
end
step(mt.eoh(conn), "end of header")
step(mt.bodystring(conn, (body:gsub("\n", "\r\n"))), "body")
step(mt.eom(conn), "end of message")

local ar = mt.getheader(conn, "Authentication-Results", 0)
if ar == nil then
	fail("dkimd added no Authentication-Results (daemon " .. daemon ..
	    "); see dkimd's log")
end
print("Authentication-Results:" .. ar)
if mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results") then
	print("dkimd also removes the message's Authentication-Results " ..
	    "that claim its AuthservID (forged)")
end
mt.disconnect(conn)
