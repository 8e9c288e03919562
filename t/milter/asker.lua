-- asker.lua - a local process asks dkimd for a signature, saying it is the
-- MTA's submission service (t/it-conn.sh runs it as different users).
--	-D sock=SOCKET  -D want=sign|refused
-- want=sign: the message comes back with a DKIM-Signature.
-- want=refused: dkimd closes the connection before the negotiation, and
-- nothing is signed.
local function ask(conn)
	mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "ORIGINATING",
	    "{client_addr}", "127.0.0.1")
	if mt.conninfo(conn, "localhost", "127.0.0.1") ~= nil then
		return false
	end
	mt.mailfrom(conn, "<boss@example.com>")
	mt.header(conn, "From", " Boss <boss@example.com>")
	mt.header(conn, "Subject", " wire the money")
	mt.eoh(conn)
	mt.bodystring(conn, "today\r\n")
	if mt.eom(conn) ~= nil then
		return false
	end
	return mt.getheader(conn, "DKIM-Signature", 0) ~= nil
end

local ok, conn = pcall(mt.connect, sock, 1, 0)
if not ok or conn == nil then
	if want == "refused" then
		print("CHECK pass miltertest: the connection is closed before the negotiation")
	else
		print("CHECK fail miltertest: cannot talk to dkimd on " .. sock)
	end
	return
end
local signed_ok, signed = pcall(ask, conn)
signed = signed_ok and signed
if want == "refused" then
	print("CHECK " .. (signed and "fail" or "pass") ..
	    " miltertest: no signature for a user outside SocketUsers")
else
	print("CHECK " .. (signed and "pass" or "fail") ..
	    " miltertest: signed for an allowed user")
end
pcall(mt.disconnect, conn)
