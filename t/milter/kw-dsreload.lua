-- kw-dsreload.lua - a connection opened before a reload that adds
-- DontSignMailTo has no recipients to check: its mail is not signed
-- (-D reload="shell command": adds the keyword and reloads dkimd)
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
send(conn, simple("user@example.com"), {qid = "DSR1"})
local before = #inserted(conn, "DKIM-Signature")
os.execute(reload)
send(conn, simple("user@example.com"), {qid = "DSR2"})
check(before == 1 and #inserted(conn, "DKIM-Signature") == 0,
    "DontSignMailTo: attack: an old connection whose MTA sends no recipients is not signed after the reload adds the keyword")
mt.disconnect(conn)
local r, n = originate("user@example.com", {qid = "DSR3", rcpt = {"bob@example.net"}})
check(n == 1, "DontSignMailTo: a new connection after the reload sends recipients and is signed")
