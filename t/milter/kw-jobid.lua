-- kw-jobid.lua - AuthservIDWithJobID yes: our authserv-id is
-- "mx.test/QUEUEID", and forgeries of that form are removed as ours
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "INBOUND"})
send(conn, simple("user@example.net", {
	{"Authentication-Results", " \"mx.test/OLD1\"; dkim=pass header.d=bank.example"},
	{"Authentication-Results", " mx.test/OLD2; dkim=pass header.d=bank.example"},
	{"Authentication-Results", " other.example/JOB; dkim=pass"},
}), {qid = "JOB1"})
local t = inserted(conn, "Authentication-Results")
check(#t == 1 and t[1]:sub(1, 16) == " \"mx.test/JOB1\";",
    "AuthservIDWithJobID: the authserv-id is \"AuthservID/queue id\", quoted")
check(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results"),
    "AuthservIDWithJobID: attack: forged results claiming mx.test/ANYTHING are removed")
mt.disconnect(conn)

conn = open({daemon = "INBOUND"})
send(conn, simple("user@example.net"), {qid = "J\"2; dkim=pass"})
t = inserted(conn, "Authentication-Results")
check(#t == 1 and t[1]:sub(1, 27) == " \"mx.test/J2dkimpass\"; dkim" ,
    "AuthservIDWithJobID: attack: a queue id with a quote and ';' cannot end the id")
mt.disconnect(conn)
