-- kw-dontsign.lua - DontSignMailTo List@Lists.example.net: mail to that
-- recipient is not signed, whatever other recipients it has
dofile(tdir .. "/lib.lua")

local r, n = originate("user@example.com", {qid = "DS1", rcpt = {"bob@example.net"}})
check(n == 1, "DontSignMailTo: mail to other recipients is signed as before")
r, n = originate("user@example.com", {qid = "DS2", rcpt = {"list@lists.example.net"}})
check(n == 0, "DontSignMailTo: mail to a listed recipient is not signed")
r, n = originate("user@example.com", {qid = "DS3",
    rcpt = {"bob@example.net", "LIST@LISTS.EXAMPLE.NET", "carol@example.org"}})
check(n == 0, "DontSignMailTo: one listed recipient among others is enough (OpenDKIM's \"any\"), in any case")
r, n = originate("user@example.com", {qid = "DS4",
    rcpt = {"list@lists.example.net.evil.example", "xlist@lists.example.net"}})
check(n == 1, "DontSignMailTo: addresses that only contain the listed one do not match")
-- a connection carries several messages: the next one starts afresh
local conn = open({daemon = "ORIGINATING"})
send(conn, simple("user@example.com"), {qid = "DS5", rcpt = {"list@lists.example.net"}})
local first = #inserted(conn, "DKIM-Signature")
send(conn, simple("user@example.com"), {qid = "DS6", rcpt = {"bob@example.net"}})
check(first == 0 and #inserted(conn, "DKIM-Signature") == 1,
    "DontSignMailTo: the next message of the connection, to others, is signed")
mt.disconnect(conn)
-- verifying is not affected
conn = open({daemon = "INBOUND"})
send(conn, simple("user@example.net"), {qid = "DS7", rcpt = {"list@lists.example.net"}})
check(#inserted(conn, "Authentication-Results") == 1,
    "DontSignMailTo: inbound mail to a listed recipient is still verified")
mt.disconnect(conn)
