-- pct.lua - a KeyTable key path with '%': each From domain's own key file;
-- and a key inline in the KeyTable
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
	check(r == SMFIR_CONTINUE and #inserted(conn, "DKIM-Signature") == 0 and
	    #inserted(conn, "Authentication-Results") == 1,
	    "pct: nopct.test has no key file: not signed, verified instead (" .. i .. ")")
end
m = simple("user@inline.test")
r = send(conn, m, {qid = "INLINE1"})
sigs = inserted(conn, "DKIM-Signature")
check(r == SMFIR_CONTINUE and #sigs == 1 and
    sigs[1]:find("d=inline.test; s=inl;", 1, true) ~= nil,
    "inline: inline.test is signed with the KeyTable's inline key")
writemsg(work .. "/signed-inline.eml", {{"DKIM-Signature", sigs[1] or ""}}, m)
mt.disconnect(conn)
