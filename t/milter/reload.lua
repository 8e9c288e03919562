-- reload.lua - the AuthservID in force is the one expected (-D authserv=)
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "INBOUND"})
send(conn, simple("x@example.net"), {qid = "RELOAD-" .. authserv})
local t = inserted(conn, "Authentication-Results")
check(#t == 1 and t[1]:sub(1, #authserv + 2) == " " .. authserv .. ";",
    "reload: Authentication-Results carries AuthservID " .. authserv)
mt.disconnect(conn)
