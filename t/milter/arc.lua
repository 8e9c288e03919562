-- arc.lua - ARC chains in the verify path: arc= in the one
-- Authentication-Results field, with the newest seal's d= and s= and
-- smtp.remote-ip; every hostile chain is arc=fail, never pass
dofile(tdir .. "/lib.lua")

local function ar(conn)
	local t = inserted(conn, "Authentication-Results")
	return #t == 1 and t[1] or ""
end

local conn = open({daemon = "INBOUND", ip = "192.0.2.7"})
send(conn, readmsg(work .. "/arc-2hops.eml"), {qid = "ARC1"})
local v = ar(conn)
check(v:find("arc=pass (as[2].d=lists.example.org as[2].s=ed1)", 1, true)
    ~= nil, "arc: a 2-hop chain (RSA, Ed25519) gives arc=pass with as[2].d and as[2].s")
check(v:find("smtp.remote-ip=192.0.2.7", 1, true) ~= nil,
    "arc: the client's address as smtp.remote-ip")

local cases = {
	{"arc-body.eml", "a body byte changed after the last seal"},
	{"arc-subject.eml", "a signed header changed"},
	{"arc-noset1.eml", "ARC set 1 removed"},
	{"arc-i51.eml", "a seal claiming instance 51"},
	{"arc-cvfail.eml", "the newest seal turned to cv=fail"},
	{"arc-dup.eml", "two ARC-Seal fields of one instance"},
}
for i, c in ipairs(cases) do
	send(conn, readmsg(work .. "/" .. c[1]), {qid = "ARCX" .. i})
	v = ar(conn)
	check(v:find("arc=fail (", 1, true) ~= nil and
	    not v:find("arc=pass", 1, true),
	    "arc: hostile chain, " .. c[2] .. ": arc=fail with a reason")
end

send(conn, simple("someone@example.net"), {qid = "ARC0"})
check(not ar(conn):find("arc=", 1, true),
    "arc: a message without ARC fields gets no arc= result")
mt.disconnect(conn)
