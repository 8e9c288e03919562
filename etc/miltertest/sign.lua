-- sign.lua - ask a running dkimd to sign a message, as the MTA would
--
--	miltertest -s sign.lua [-D socket=inet:8891@127.0.0.1]
--	    [-D from=user@example.com] [-D daemon=ORIGINATING]
--	    [-D out=signed.eml]
--
-- Set, here or with -D:
--	socket	dkimd's Socket, in libmilter's spelling (dkimd.conf)
--	from	a From address of a domain in your SigningTable
--	daemon	the {daemon_name} the MTA sends; one of dkimd's MTA names
--		(default ORIGINATING) is signed
--	out	where to write the signed message, for verify.lua
-- Prints the DKIM-Signature dkimd would add and writes the message, with
-- it on top, to out. Exits non-zero when dkimd adds no signature (no key
-- for from's domain, a daemon name that is not signed, dkimd not there).
-- Nothing is sent anywhere: miltertest plays the MTA.

socket = socket or "inet:8891@127.0.0.1"
from = from or "user@example.com"
daemon = daemon or "ORIGINATING"
out = out or "signed.eml"

local headers = {
	{"From", " " .. from},
	{"To", " postmaster@example.net"},
	{"Subject", " dkimd test with miltertest"},
	{"Date", " " .. os.date("!%a, %d %b %Y %H:%M:%S +0000")},
	{"Message-ID", " <miltertest." .. os.time() .. "@dkimd.test>"},
}
local body = "This message was signed by dkimd through miltertest.\r\n"

-- fail - say why on stderr and exit 1 (miltertest prints no Lua errors)
local function fail(why)
	io.stderr:write("sign.lua: " .. why .. "\n")
	os.exit(1)
end

-- step - stop when a milter step fails
local function step(r, what)
	if r ~= nil then
		fail(what .. " failed: " .. tostring(r))
	end
end

-- miltertest itself exits 1, silently, when it cannot connect
io.stderr:write("sign.lua: connecting to dkimd at " .. socket .. "\n")
local conn = mt.connect(socket, 10, 0.5)
if conn == nil then
	fail("cannot connect to dkimd at " .. socket)
end
step(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon,
    "{client_addr}", "127.0.0.1"), "connect macros")
step(mt.conninfo(conn, "localhost", "127.0.0.1"), "connect")
step(mt.macro(conn, SMFIC_MAIL, "i", "MILTERTEST"), "MAIL macros")
step(mt.mailfrom(conn, "<" .. from .. ">"), "MAIL FROM")
for _, h in ipairs(headers) do
	step(mt.header(conn, h[1], h[2]), "header " .. h[1])
end
step(mt.eoh(conn), "end of header")
step(mt.bodystring(conn, body), "body")
step(mt.eom(conn), "end of message")

local sig = mt.getheader(conn, "DKIM-Signature", 0)
if sig == nil then
	fail("dkimd added no DKIM-Signature (daemon " .. daemon ..
	    ", From " .. from .. "); see dkimd's log")
end
print("DKIM-Signature:" .. sig)

local f = io.open(out, "wb")
if f == nil then
	fail("cannot write " .. out)
end
f:write((("DKIM-Signature:" .. sig):gsub("\r?\n", "\r\n")) .. "\r\n")
for _, h in ipairs(headers) do
	f:write(h[1] .. ":" .. h[2] .. "\r\n")
end
f:write("\r\n" .. body)
f:close()
print("signed message written to " .. out)
mt.disconnect(conn)
