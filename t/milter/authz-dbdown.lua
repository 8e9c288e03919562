-- authz-dbdown.lua - SenderAuthorization in a database that cannot
-- answer, On-KeyNotFound tempfail: a login's own domain still signs (no
-- query needed); another domain is never signed while unsure: 451
dofile(tdir .. "/lib.lua")

local _, n = originate("user@example.com", {qid = "AZDB1", auth = "alice@example.com"})
check(n == 2, "authz db down: alice@example.com as example.com is signed " ..
    "without the database")
local _, _, replied = originate("news@lists.example.org",
    {qid = "AZDB2", auth = "alice@example.com"},
    {"451", "4.7.5", "sender authorization database unavailable"})
check(replied, "authz db down: another domain is not signed: " ..
    "On-KeyNotFound tempfail, 451 4.7.5")
