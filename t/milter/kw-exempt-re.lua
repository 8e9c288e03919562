-- kw-exempt-re.lua - ExemptDomains refile: with the pattern *.exempt.test
dofile(tdir .. "/lib.lua")

local r, n = originate("user@sub.exempt.test", {qid = "EXRE1"})
check(n == 0, "ExemptDomains refile: a domain matching *.exempt.test is not signed")
r, n = originate("user@exempt.test", {qid = "EXRE2"})
check(n == 1, "ExemptDomains refile: exempt.test itself does not match *.exempt.test: signed")
local conn = open({daemon = "INBOUND"})
send(conn, simple("user@sub.exempt.test"), {qid = "EXRE3"})
check(#inserted(conn, "Authentication-Results") == 0,
    "ExemptDomains refile: inbound mail of a matching domain is not verified")
mt.disconnect(conn)
