-- ceiling.lua - a header block over MaximumHeaderBytes costs no message
dofile(tdir .. "/lib.lua")

local filler = {}
for i = 1, 60 do
	table.insert(filler, {"X-Filler-" .. i, " " .. string.rep("y", 500)})
end
local conn = open({daemon = "INBOUND"})
local r = send(conn, simple("x@example.net", filler), {qid = "CEIL1"})
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
    "ceiling: verify with a 30 KB header block (ceiling 16 KB) accepts")
local t = inserted(conn, "Authentication-Results")
check(#t == 1, "ceiling: still one Authentication-Results")
mt.disconnect(conn)

conn = open({daemon = "ORIGINATING"})
r = send(conn, simple("user@example.com", filler), {qid = "CEIL2"})
check(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE,
    "ceiling: signing over the ceiling takes On-InternalError (accept)")
check(#inserted(conn, "DKIM-Signature") == 0, "ceiling: no signature made")
mt.disconnect(conn)
