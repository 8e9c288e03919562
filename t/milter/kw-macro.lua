-- kw-macro.lua - MacroList daemon_name=MSA|Submit, {x_local}: mail is
-- signed when the MTA sends one of these macros with one of its values
-- (-D only=file: MacroList file: with "daemon_name MSA|Submit")
dofile(tdir .. "/lib.lua")

-- mail on a connection whose {daemon_name} is d, with macros at MAIL
local function try(d, qid, macros)
	local conn = open({daemon = d})
	send(conn, simple("user@example.com"), {qid = qid, macros = macros})
	local n = #inserted(conn, "DKIM-Signature")
	local a = #inserted(conn, "Authentication-Results")
	mt.disconnect(conn)
	return n, a
end

local n, a = try("MSA", "MAC1")
check(n == 1, "MacroList: {daemon_name} MSA, a listed value: signed")
n, a = try("INBOUND", "MAC2", {"{daemon_name}", "Submit"})
check(n == 1, "MacroList: the macro as sent at MAIL (Submit) counts: signed")
n, a = try("msa", "MAC3")
check(n == 0 and a == 1, "MacroList: attack: values are compared with case (msa is not MSA): verified")
n, a = try("MSAX", "MAC4")
check(n == 0 and a == 1, "MacroList: attack: a value that only begins with a listed one: verified")
-- only = "file": the same from a file: data set, which has no {x_local}
if only == nil then
	n, a = try("INBOUND", "MAC5", {"{x_local}", "yes"})
	check(n == 1, "MacroList: a macro listed without values: any value signs")
	n, a = try("INBOUND", "MAC6", {"{x_local}", ""})
	check(n == 0 and a == 1, "MacroList: the same macro sent empty: not set, verified")
end
n, a = try("INBOUND", "MAC7")
check(n == 0 and a == 1, "MacroList: none of the macros: verified as before")
