-- peerlist.lua - PeerList (203.0.113.0/24): that client's mail is passed
-- untouched, neither signed nor verified, even when it would be signed
dofile(tdir .. "/lib.lua")

local conn = open({daemon = "ORIGINATING", ip = "203.0.113.5"})
send(conn, simple("user@example.com"), {qid = "PEER1", auth = "alice@example.com"})
check(#inserted(conn, "DKIM-Signature") == 0 and
    #inserted(conn, "Authentication-Results") == 0,
    "peerlist: an ORIGINATING, authenticated message of a PeerList client is not signed")
mt.disconnect(conn)

conn = open({daemon = "INBOUND", ip = "203.0.113.6"})
send(conn, simple("user@example.com"), {qid = "PEER2"})
check(#inserted(conn, "Authentication-Results") == 0,
    "peerlist: inbound mail of a PeerList client is not verified")
mt.disconnect(conn)

conn = open({daemon = "INBOUND", ip = "203.0.114.6"})
send(conn, simple("user@example.com"), {qid = "PEER3"})
check(#inserted(conn, "Authentication-Results") == 1,
    "peerlist: a client outside PeerList is verified as before")
mt.disconnect(conn)
