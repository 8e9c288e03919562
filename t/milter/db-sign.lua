-- db-sign.lua - one ORIGINATING message from -D from=ADDRESS (t/it-db.sh),
-- sent by SMTP login -D auth=LOGIN when given
--
-- Prints "SIG d=DOMAIN s=SELECTOR" for each DKIM-Signature dkimd
-- inserted, or "NOSIG" when it inserted none; "REPLY n" with the reply
-- ("REPLY replycode" when dkimd chose an SMTP reply, as for a tempfail).
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING"})
local r = send(conn, simple(from), {qid = "DB" .. os.time(), auth = auth})
-- (an SMTP reply code chosen by dkimd comes as SMFIR_REPLYCODE; the
-- code itself is in dkimd's log line)
print("REPLY " .. (r == SMFIR_REPLYCODE and "replycode" or tostring(r)))
local sigs = inserted(conn, "DKIM-Signature")
for _, v in ipairs(sigs) do
	local flat = v:gsub("%s+", "")
	print("SIG d=" .. (flat:match("d=([^;]+)") or "?") ..
	    " s=" .. (flat:match("s=([^;]+)") or "?"))
end
if #sigs == 0 then
	print("NOSIG")
end
mt.disconnect(conn)
