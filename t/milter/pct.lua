-- pct.lua - a KeyTable key path with '%': each From domain's own key file
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
local m = simple("user@pct.test")
local r = send(conn, m, {qid = "PCT1"})
local sigs = inserted(conn, "DKIM-Signature")
check(r == SMFIR_CONTINUE and #sigs == 1 and
    sigs[1]:find("d=pct.test; s=pct;", 1, true) ~= nil,
    "pct: pct.test is signed with the key from keys/pct.test/")
writemsg(work .. "/signed-pct.eml", {{"DKIM-Signature", sigs[1] or ""}}, m)
for i = 1, 2 do
	r = send(conn, simple("user@nopct.test"), {qid = "NOPCT" .. i})
	check(r == SMFIR_ACCEPT and #inserted(conn, "DKIM-Signature") == 0,
	    "pct: nopct.test has no key file: passed unsigned (" .. i .. ")")
end
mt.disconnect(conn)
