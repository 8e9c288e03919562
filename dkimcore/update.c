/*
 * update.c - RFC 2136 UPDATE messages and the SOA lookup that finds
 *	the zone to send them to
 *
 * SYNOPSIS
 *	dkim_update_build(buf, size, &len, id, zone, name, txt, ttl, ...)
 *	dkim_soa_query(buf, size, &len, id, name)
 *	dkim_soa_zone(ans, len, id, name, zone, zonelen, ...)
 *
 * CONTRACT
 *	An UPDATE here has one zone (RFC 2136 §2.3), no prerequisites, and
 *	an update section that deletes every TXT record at the name (§2.5.2)
 *	and then, unless only a deletion is asked, adds one: replacing the
 *	RRset makes a repeated UPDATE change nothing, so that a rotation
 *	can be run again after a failure. Names are written by dn_comp()
 *	(compressed against the zone); a TXT value longer than 255 bytes is
 *	several character-strings of one record (RFC 1035 §3.3.14), which a
 *	verifier joins again (RFC 6376 §3.6.2.2). Buffers are the caller's.
 */
#include <arpa/nameser.h>
#include <resolv.h>

#include <string.h>
#include <strings.h>

#include "dk.h"
#include "update.h"

#define UPD_PTRS	8		/* dn_comp() pointer table */

/* upd_put16 - a 16-bit value in network order at p */
static void
upd_put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* upd_put32 - a 32-bit value in network order at p */
static void
upd_put32(unsigned char *p, uint32_t v)
{
	upd_put16(p, v >> 16);
	upd_put16(p + 2, v & 0xffff);
}

/*
 * upd_name - write name at buf[*len] (compressed against dnptrs), then
 * type, class, and with rr set ttl; -1 when it does not fit or is bad
 */
static int
upd_name(unsigned char *buf, size_t size, size_t *len, const char *name,
    const unsigned char **dnptrs, const unsigned char **lastdnptr,
    unsigned type, unsigned class, int rr, uint32_t ttl)
{
	int	 n;
	size_t	 fixed = rr ? 8 : 4;

	if (*len >= size || name[0] == '\0')
		return -1;
	n = dn_comp(name, buf + *len, (int)(size - *len > 65535 ? 65535 :
	    size - *len), (unsigned char **)dnptrs, (unsigned char **)lastdnptr);
	if (n < 0 || size - *len - (size_t)n < fixed)
		return -1;
	*len += (size_t)n;
	upd_put16(buf + *len, type);
	upd_put16(buf + *len + 2, class);
	if (rr)
		upd_put32(buf + *len + 4, ttl);
	*len += fixed;
	return 0;
}

/* upd_txt - the RDLENGTH and RDATA of one TXT record of value txt */
static int
upd_txt(unsigned char *buf, size_t size, size_t *len, const char *txt)
{
	size_t	 tl = strlen(txt), chunks = tl / 255 + (tl % 255 != 0 || tl == 0);
	size_t	 rdlen = tl + chunks, i, n;

	if (rdlen > 65535 || size - *len < 2 + rdlen)
		return -1;
	upd_put16(buf + *len, (unsigned)rdlen);
	*len += 2;
	for (i = 0; i < chunks; i++) {
		n = tl - i * 255 > 255 ? 255 : tl - i * 255;
		buf[(*len)++] = (unsigned char)n;
		memcpy(buf + *len, txt + i * 255, n);
		*len += n;
	}
	return 0;
}

/* dkim_update_build - an UPDATE replacing (or deleting) the TXT at name */
int
dkim_update_build(unsigned char *buf, size_t size, size_t *len, uint16_t id,
    const char *zone, const char *name, const char *txt, uint32_t ttl,
    char *err, size_t errlen)
{
	const unsigned char *dnptrs[UPD_PTRS], **last = dnptrs + UPD_PTRS;

	*len = 0;
	if (size < HFIXEDSZ)
		goto small;
	memset(buf, 0, HFIXEDSZ);
	upd_put16(buf, id);
	buf[2] = ns_o_update << 3;		/* QR=0, opcode UPDATE */
	upd_put16(buf + 4, 1);			/* ZOCOUNT */
	upd_put16(buf + 8, txt ? 2 : 1);	/* UPCOUNT */
	*len = HFIXEDSZ;
	dnptrs[0] = buf;
	dnptrs[1] = NULL;
	if (upd_name(buf, size, len, zone, dnptrs, last, ns_t_soa, ns_c_in, 0,
	    0) < 0) {
		dk_why(err, errlen, "invalid zone name");
		return -1;
	}
	/* RFC 2136 §2.5.2: delete an RRset is CLASS ANY, TTL 0, no RDATA. */
	if (upd_name(buf, size, len, name, dnptrs, last, ns_t_txt, ns_c_any, 1,
	    0) < 0 || size - *len < 2)
		goto bad;
	upd_put16(buf + *len, 0);
	*len += 2;
	if (txt == NULL)
		return 0;
	if (upd_name(buf, size, len, name, dnptrs, last, ns_t_txt, ns_c_in, 1,
	    ttl) < 0 || upd_txt(buf, size, len, txt) < 0)
		goto bad;
	return 0;
bad:
	if (*len < size)
		goto small;
	dk_why(err, errlen, "invalid record name");
	return -1;
small:
	dk_why(err, errlen, "record too large for one message");
	return -1;
}

/* dkim_rcode_name - the mnemonic of a DNS RCODE or TSIG error (RFC 8945) */
const char *
dkim_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE", NULL, NULL, NULL, NULL, NULL, "BADSIG", "BADKEY",
		"BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC",
		"BADCOOKIE"
	};

	if (rcode < sizeof(names) / sizeof(names[0]) && names[rcode] != NULL)
		return names[rcode];
	return "unknown RCODE";
}

/* dkim_soa_query - a standard query for the SOA of name */
int
dkim_soa_query(unsigned char *buf, size_t size, size_t *len, uint16_t id,
    const char *name)
{
	const unsigned char *dnptrs[2] = { buf, NULL };

	*len = 0;
	if (size < HFIXEDSZ)
		return -1;
	memset(buf, 0, HFIXEDSZ);
	upd_put16(buf, id);
	upd_put16(buf + 4, 1);			/* QDCOUNT */
	*len = HFIXEDSZ;
	return upd_name(buf, size, len, name, dnptrs, dnptrs + 2, ns_t_soa,
	    ns_c_in, 0, 0);
}

/* soa_under - 1 when zone is name or one of its parents */
static int
soa_under(const char *name, const char *zone)
{
	size_t	 nl = strlen(name), zl = strlen(zone);

	if (zl == 0 || zl > nl)
		return zl == 0;		/* the root is everyone's parent */
	if (strcasecmp(name + nl - zl, zone) != 0)
		return 0;
	return nl == zl || name[nl - zl - 1] == '.';
}

/* soa_find - the owner of the first SOA of section sect of msg into zone */
static int
soa_find(ns_msg *msg, ns_sect sect, char *zone, size_t zonelen)
{
	ns_rr	 rr;
	int	 i, n = ns_msg_count(*msg, sect);

	for (i = 0; i < n; i++) {
		if (ns_parserr(msg, sect, i, &rr) < 0)
			return -1;
		if (ns_rr_type(rr) == ns_t_soa && ns_rr_class(rr) == ns_c_in) {
			dk_strlcpy(zone, ns_rr_name(rr), zonelen);
			return 1;
		}
	}
	return 0;
}

/* dkim_soa_zone - the zone named by an answer to "SOA name" */
int
dkim_soa_zone(const unsigned char *ans, size_t len, uint16_t id,
    const char *name, char *zone, size_t zonelen, char *err, size_t errlen)
{
	ns_msg	 msg;
	char	 owner[NS_MAXDNAME];
	int	 found;

	if (len > DKIM_UPDATE_MAX || ns_initparse(ans, (int)len, &msg) < 0 ||
	    ns_msg_id(msg) != id || !ns_msg_getflag(msg, ns_f_qr)) {
		dk_why(err, errlen, "not an answer to the SOA query");
		return -1;
	}
	if (ns_msg_getflag(msg, ns_f_rcode) != ns_r_noerror &&
	    ns_msg_getflag(msg, ns_f_rcode) != ns_r_nxdomain) {
		dk_why(err, errlen, "SOA query: %s",
		    dkim_rcode_name(
		    (unsigned)ns_msg_getflag(msg, ns_f_rcode)));
		return -1;
	}
	found = soa_find(&msg, ns_s_an, owner, sizeof(owner));
	if (found == 0)
		found = soa_find(&msg, ns_s_ns, owner, sizeof(owner));
	if (found <= 0) {
		dk_why(err, errlen, "no SOA record in the answer");
		return -1;
	}
	/* An SOA for an unrelated zone must not choose where we write. */
	if (!soa_under(name, owner) || strlen(owner) >= zonelen) {
		dk_why(err, errlen, "SOA owner is not a parent of the name");
		return -1;
	}
	dk_strlcpy(zone, owner, zonelen);
	return 0;
}
