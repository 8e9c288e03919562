-- unix.lua - one message over dkimd's unix socket (-D sock=unix:/path)
local conn = mt.connect(sock, 40, 0.25)
if conn == nil then
	error("cannot connect to " .. sock)
end
mt.conninfo(conn, "client.test", "198.51.100.1")
mt.mailfrom(conn, "<a@example.net>")
mt.header(conn, "From", " a@example.net")
mt.eoh(conn)
mt.bodystring(conn, "hi\r\n")
mt.eom(conn)
if mt.getheader(conn, "Authentication-Results", 0) ~= nil then
	print("CHECK pass unix socket")
end
mt.disconnect(conn)
