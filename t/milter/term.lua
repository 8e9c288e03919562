-- term.lua - SIGTERM arrives mid-message (it-milter.sh sends it after
-- 1 s): the message in flight is still signed, then dkimd stops
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
local m = simple("user@example.com")
must(mt.macro(conn, SMFIC_MAIL, "i", "TERM1"), "macro")
must(mt.mailfrom(conn, "<user@example.com>"), "mailfrom")
for _, h in ipairs(m.headers) do
	must(mt.header(conn, h[1], h[2]), "header")
end
must(mt.eoh(conn), "eoh")
mt.sleep(3)
must(mt.bodystring(conn, m.body), "body")
must(mt.eom(conn), "eom")
check(#inserted(conn, "DKIM-Signature") == 2,
    "SIGTERM: the message in flight is finished and signed")
mt.disconnect(conn)
