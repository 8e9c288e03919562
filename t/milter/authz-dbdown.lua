-- authz-dbdown.lua - SenderAuthorization in a database that cannot
-- answer, On-KeyNotFound tempfail: a login's own domain still signs (no
-- query needed); another domain is never signed while unsure: 451
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
local r = send(conn, simple("user@example.com"), {qid = "AZDB1", auth = "alice@example.com"})
check((r == SMFIR_CONTINUE or r == SMFIR_ACCEPT) and
    #inserted(conn, "DKIM-Signature") == 2,
    "authz db down: alice@example.com as example.com is signed without the database")
mt.disconnect(conn)

conn = open({daemon = "ORIGINATING"})
r = send(conn, simple("news@lists.example.org"), {qid = "AZDB2", auth = "alice@example.com"})
check(r == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.5",
    "sender authorization database unavailable"),
    "authz db down: another domain is not signed: On-KeyNotFound tempfail, 451 4.7.5")
mt.disconnect(conn)
