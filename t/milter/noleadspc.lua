-- noleadspc.lua - an MTA that does not offer SMFIP_HDR_LEADSPC sends
-- values without the space after the colon; dkimd puts it back, so a
-- simple/simple signature (this dkimd's Canonicalization) still verifies
dofile(tdir .. "/lib.lua")

local conn = mt.connect("inet:" .. port .. "@127.0.0.1", 40, 0.25)
if conn == nil then
	error("cannot connect")
end
-- every step this miltertest knows but HDR_LEADSPC, all actions (this
-- miltertest takes the steps before the actions, unlike its manual)
must(mt.negotiate(conn, 6, 0xFFFFF, 0x1FF), "negotiate")
check(not mt.test_option(conn, SMFIP_HDR_LEADSPC),
    "noleadspc: HDR_LEADSPC not negotiated when the MTA does not offer it")
must(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "ORIGINATING"), "macro")
must(mt.conninfo(conn, "client.test", "198.51.100.1"), "conninfo")
local m = simple("user@example.com")
local bare = {headers = {}, body = m.body}
for _, h in ipairs(m.headers) do
	table.insert(bare.headers, {h[1], h[2]:sub(2)})
end
send(conn, bare, {qid = "NOLEAD1"})
local sigs = inserted(conn, "DKIM-Signature")
check(#sigs == 2 and sigs[1]:sub(1, 4) == "v=1;",
    "noleadspc: signatures inserted without a leading space")
check(sigs[1] ~= nil and sigs[1]:find("c=simple/simple", 1, true) ~= nil,
    "noleadspc: signed with simple/simple")
local added = {}
for i = #sigs, 1, -1 do
	table.insert(added, {"DKIM-Signature", " " .. sigs[i]})
end
-- the MTA writes "Name: value", with the space it took away
writemsg(work .. "/noleadspc.eml", added, m)
mt.disconnect(conn)
