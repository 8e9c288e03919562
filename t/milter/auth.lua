-- auth.lua - authenticated senders and InternalHosts sign; loopback does not
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "INBOUND"})
send(conn, simple("user@example.com"), {qid = "AUTH1", auth = "alice@example.com"})
check(#inserted(conn, "DKIM-Signature") == 2,
    "auth: SMTP-authenticated sender on a non-MTA daemon is signed")
send(conn, simple("user@example.com"), {qid = "AUTH2"})
check(#inserted(conn, "DKIM-Signature") == 0 and
    #inserted(conn, "Authentication-Results") == 1,
    "auth: the next, unauthenticated message is verified, not signed")
mt.disconnect(conn)

conn = open({daemon = "INBOUND", ip = "192.0.2.9"})
send(conn, simple("user@example.com"), {qid = "AUTH3"})
check(#inserted(conn, "DKIM-Signature") == 2,
    "auth: a client in InternalHosts (192.0.2.0/24) is signed")
mt.disconnect(conn)

conn = open({daemon = "INBOUND", ip = "192.0.2.7"})
send(conn, simple("user@example.com"), {qid = "AUTH4"})
check(#inserted(conn, "DKIM-Signature") == 0,
    "auth: an address excluded with ! in InternalHosts is not signed")
mt.disconnect(conn)

conn = open({ip = "127.0.0.1"})
send(conn, simple("user@example.com"), {qid = "AUTH5"})
check(#inserted(conn, "DKIM-Signature") == 0,
    "auth: loopback without a daemon name is not trusted to sign")
mt.disconnect(conn)
