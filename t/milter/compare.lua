-- compare.lua - send the cases of a list to one milter and print what it did
--
-- Globals from miltertest -D: tdir (t/milter), port, cases (the list),
-- msgdir (the message files). Each line of the list is
--	NAME CLIENT-IP DAEMON-NAME AUTH-LOGIN MACROS MESSAGE-FILE
-- with "-" for none; MACROS is name=value[,name=value...], sent with the
-- connect-time macros. For each case this prints
--	CASE name reply=accept|tempfail|reject|discard|replycode
--	SIG name d=DOMAIN s=SELECTOR a=ALG h=FIELD,FIELD... (h= sorted, once)
--	AR name RESULT DOMAIN (one per dkim= result)
-- and t/it-migrate.sh compares the lines of OpenDKIM with those of dkimd.
dofile(tdir .. "/lib.lua")

local replies = {
	[SMFIR_CONTINUE] = "accept", [SMFIR_ACCEPT] = "accept",
	[SMFIR_TEMPFAIL] = "tempfail", [SMFIR_REJECT] = "reject",
	[SMFIR_DISCARD] = "discard", [SMFIR_REPLYCODE] = "replycode",
}

-- tag - the value of tag t in a tag-list, white space removed
local function tag(v, t)
	local s = (";" .. v:gsub("[ \t\r\n]", "")):match(";" .. t .. "=([^;]*)")
	return s or "?"
end

-- hset - the h= of a signature as a sorted set of lower-case names
local function hset(v)
	local seen, list = {}, {}
	for n in tag(v, "h"):lower():gmatch("[^:]+") do
		if not seen[n] then
			seen[n] = true
			table.insert(list, n)
		end
	end
	table.sort(list)
	return table.concat(list, ",")
end

-- split - the words of s separated by c
local function split(s, c)
	local t = {}
	for w in s:gmatch("[^" .. c .. "]+") do
		table.insert(t, w)
	end
	return t
end

-- connect - a connection with the case's connect-time macros
local function connect(ip, daemon, macros)
	local conn = mt.connect("inet:" .. port .. "@127.0.0.1", 40, 0.25)
	if conn == nil then
		error("cannot connect to port " .. port)
	end
	local mac = {"{client_addr}", ip, "j", "mx.test"}
	if daemon ~= "-" then
		table.insert(mac, "{daemon_name}")
		table.insert(mac, daemon)
	end
	if macros ~= "-" then
		for _, kv in ipairs(split(macros, ",")) do
			local k, v = kv:match("^([^=]+)=(.*)$")
			table.insert(mac, k)
			table.insert(mac, v)
		end
	end
	must(mt.macro(conn, SMFIC_CONNECT, table.unpack(mac)), "macro")
	must(mt.conninfo(conn, "client.test", ip), "conninfo")
	return conn
end

for line in io.lines(cases) do
	local f = split(line, " \t")
	if #f >= 6 and f[1]:sub(1, 1) ~= "#" then
		local name = f[1]
		local conn = connect(f[2], f[3], f[5])
		local m = readmsg(msgdir .. "/" .. f[6])
		local r = send(conn, m, {qid = name,
		    auth = f[4] ~= "-" and f[4] or nil})
		print("CASE " .. name .. " reply=" .. (replies[r] or tostring(r)))
		if r == SMFIR_CONTINUE or r == SMFIR_ACCEPT then
			for _, v in ipairs(inserted(conn, "DKIM-Signature")) do
				print("SIG " .. name .. " d=" .. tag(v, "d"):lower() ..
				    " s=" .. tag(v, "s") .. " a=" .. tag(v, "a") ..
				    " h=" .. hset(v))
			end
			for _, v in ipairs(inserted(conn, "Authentication-Results")) do
				v = v:gsub("%b()", "")
				for res, rest in v:gmatch("dkim=(%a+)([^;]*)") do
					local d = rest:match("header%.d=([^%s;]+)") or
					    (rest:match("header%.i=[^%s;]*@([^%s;]+)")) or "-"
					print("AR " .. name .. " " .. res .. " " .. d:lower())
				end
			end
		end
		mt.disconnect(conn)
	end
end
