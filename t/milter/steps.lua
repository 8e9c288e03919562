-- steps.lua - the protocol steps dkimd negotiates, and an MTA that offers
-- no "no reply" steps (libmilter then answers "continue" for dkimd)
dofile(tdir .. "/lib.lua")

-- an MTA offering everything: dkimd answers only end of message
local conn = open({daemon = "ORIGINATING"})
check(mt.test_option(conn, SMFIP_NR_HDR) and
    mt.test_option(conn, SMFIP_NR_CONN) and
    mt.test_option(conn, SMFIP_NR_MAIL) and
    mt.test_option(conn, SMFIP_NR_EOH) and
    mt.test_option(conn, SMFIP_NR_BODY),
    "steps: no reply to connect, MAIL, headers, end of header and body")
-- a From that does not parse is refused at end of header (On-BadAuthor)
local r = send(conn, simple("user@x.test@example.com"), {qid = "STEPS1"})
check(r == SMFIR_ACCEPT,
    "steps: the accept decided at end of header comes at end of message")
mt.disconnect(conn)

-- an MTA offering none of the NR_ steps: every command is answered
local old = mt.connect("inet:" .. port .. "@127.0.0.1", 40, 0.25)
if old == nil then
	error("cannot connect")
end
-- steps before actions, as noleadspc.lua explains: NOCONNECT to NOEOH,
-- NOUNKNOWN, NODATA, SKIP and HDR_LEADSPC, no NR_ bit
must(mt.negotiate(old, 6, 0x10077F, 0x1FF), "negotiate")
check(not mt.test_option(old, SMFIP_NR_EOH) and
    not mt.test_option(old, SMFIP_NR_BODY),
    "steps: an MTA without NR_ steps gets replies")
must(mt.macro(old, SMFIC_CONNECT, "{daemon_name}", "ORIGINATING"), "macro")
must(mt.conninfo(old, "client.test", "127.0.0.1"), "conninfo")
check(mt.getreply(old) == SMFIR_CONTINUE, "steps: connect answered")
r = send(old, simple("user@x.test@example.com"), {qid = "STEPS2"})
check(r == SMFIR_ACCEPT and mt.eom_check(old, MT_HDRINSERT) == false,
    "steps: a bad author: accepted at end of header, unsigned")
r = send(old, simple("user@example.com"), {qid = "STEPS3"})
check(r == SMFIR_CONTINUE and #inserted(old, "DKIM-Signature") == 2,
    "steps: the next message is signed")
mt.disconnect(old)
