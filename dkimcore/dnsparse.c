/*
 * dnsparse.c - what an answer to "TXT sel._domainkey.example.com" says
 *
 * SYNOPSIS
 *	dns_parse_answer(buf, len, name, &ans)	the outcome of one answer
 *	dns_matches(q, qlen, ans, len)		does ans answer query q?
 *	dk_dns_parse_answer(...)		the same, for fuzz/fuzz_dns.c
 *
 * CONTRACT
 *	The rules of a key record set are those that dns.c's manual lists.
 *	Every length and name is checked against the end of the message by
 *	ns_initparse() and ns_parserr(). A TXT record at the name (key or
 *	not) longer than DK_KEYREC_MAX bytes makes the answer DKIM_DNS_BAD
 *	"key record too large": no real key needs it (a 16384-bit RSA key is
 *	about 2.8 KB of base64), and refusing it keeps what the cache holds
 *	and what a lookup copies small.
 *	Pure functions: no state, no allocation beyond ans->txt.
 */
#include <arpa/nameser.h>
#include <resolv.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsint.h"

#define DNS_CNAME_MAX	8		/* CNAME hops followed */

/* dns_fws - 1 for a FWS byte (RFC 6376 §2.8, line ends included) */
static int
dns_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dns_skip_fws - the first byte at or after cp that is not FWS */
static const char *
dns_skip_fws(const char *cp, const char *end)
{
	while (cp < end && dns_fws((unsigned char)*cp))
		cp++;
	return cp;
}

/*
 * dns_tag_at - when a tag-spec named name (optional FWS, name, optional
 * FWS, '=') starts at cp, return where its value starts, else NULL.
 */
static const char *
dns_tag_at(const char *cp, const char *end, const char *name)
{
	size_t	 n = strlen(name);

	cp = dns_skip_fws(cp, end);
	if ((size_t)(end - cp) < n || memcmp(cp, name, n) != 0)
		return NULL;
	cp = dns_skip_fws(cp + n, end);
	if (cp == end || *cp != '=')
		return NULL;
	return cp + 1;
}

/*
 * dns_is_keyrec - 1 when a joined TXT record is a candidate key record:
 * it begins with v=DKIM1 followed by FWS, ';' or the end, or it has no
 * v= tag and has a p= tag.
 */
static int
dns_is_keyrec(const char *s, size_t len)
{
	const char *cp = s, *end = s + len, *v, *semi;
	int	 first = 1, has_p = 0;

	if ((v = dns_tag_at(cp, end, "v")) != NULL) {
		v = dns_skip_fws(v, end);
		if ((size_t)(end - v) < 5 || memcmp(v, "DKIM1", 5) != 0)
			return 0;
		v += 5;
		return v == end || *v == ';' || dns_fws((unsigned char)*v);
	}
	while (cp < end) {
		if ((semi = memchr(cp, ';', (size_t)(end - cp))) == NULL)
			semi = end;
		if (!first && dns_tag_at(cp, semi, "v") != NULL)
			return 0;
		if (dns_tag_at(cp, semi, "p") != NULL)
			has_p = 1;
		first = 0;
		cp = semi == end ? end : semi + 1;
	}
	return has_p;
}

/* dns_txt_join - append the character-strings of one TXT rdata; 0, -1, -2 */
static int
dns_txt_join(const unsigned char *rd, size_t rdlen, struct dk_buf *out)
{
	size_t	 pos = 0, n;

	while (pos < rdlen) {
		n = rd[pos++];
		if (n > rdlen - pos)
			return -1;		/* string past the rdata */
		if (dk_buf_append(out, rd + pos, n) < 0)
			return -2;		/* over the ceiling */
		pos += n;
	}
	return 0;
}

/* dns_name_eq - 1 when two presentation names are equal, final dots aside */
static int
dns_name_eq(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * dns_follow_cnames - follow the CNAMEs that the answer section gives for
 * cur (at most DNS_CNAME_MAX), updating cur and *ttl; 0, or -1 when the
 * answer is malformed.
 */
static int
dns_follow_cnames(ns_msg *msg, const unsigned char *eom, char *cur,
    size_t curlen, uint32_t *ttl)
{
	ns_rr	 rr;
	int	 i, n, hop, moved;
	char	 target[NS_MAXDNAME];

	n = ns_msg_count(*msg, ns_s_an);
	for (hop = 0; hop < DNS_CNAME_MAX; hop++) {
		moved = 0;
		for (i = 0; i < n && !moved; i++) {
			if (ns_parserr(msg, ns_s_an, i, &rr) < 0)
				return -1;
			if (ns_rr_type(rr) != ns_t_cname ||
			    ns_rr_class(rr) != ns_c_in ||
			    !dns_name_eq(ns_rr_name(rr), cur))
				continue;
			if (ns_rr_rdata(rr) + ns_rr_rdlen(rr) > eom ||
			    dn_expand(ns_msg_base(*msg), eom, ns_rr_rdata(rr),
			    target, sizeof(target)) < 0)
				return -1;
			if (dk_strlcpy(cur, target, curlen) >= curlen)
				return -1;
			if (ns_rr_ttl(rr) < *ttl)
				*ttl = ns_rr_ttl(rr);
			moved = 1;
		}
		if (!moved)
			break;
	}
	return 0;
}

/* dns_neg_ttl - the negative TTL from an SOA in the authority section */
static unsigned
dns_neg_ttl(ns_msg *msg, const unsigned char *eom)
{
	ns_rr	 rr;
	const unsigned char *cp, *end;
	uint32_t min;
	int	 i, n, k;

	n = ns_msg_count(*msg, ns_s_ns);
	for (i = 0; i < n; i++) {
		if (ns_parserr(msg, ns_s_ns, i, &rr) < 0)
			break;
		if (ns_rr_type(rr) != ns_t_soa)
			continue;
		cp = ns_rr_rdata(rr);
		end = cp + ns_rr_rdlen(rr);
		if (end > eom)
			break;
		for (k = 0; k < 2; k++) {	/* MNAME, RNAME */
			int	 sk = dn_skipname(cp, end);

			if (sk < 0)
				return DNS_NEG_TTL_DEF;
			cp += sk;
		}
		if (end - cp < 20)
			break;
		cp += 16;	/* SERIAL REFRESH RETRY EXPIRE */
		min = ns_get32(cp);
		/* RFC 2308 §5: the smaller of the SOA's TTL and MINIMUM. */
		if (ns_rr_ttl(rr) < min)
			min = ns_rr_ttl(rr);
		return min > DNS_NEG_TTL_MAX ? DNS_NEG_TTL_MAX : min;
	}
	return DNS_NEG_TTL_DEF;
}

/* dns_collect - join the TXT records at name and count the candidates */
static int
dns_collect(ns_msg *msg, const unsigned char *eom, const char *name,
    struct dns_answer *ans, uint32_t *ttl)
{
	struct dk_buf rec = { NULL, 0, 0, DK_KEYREC_MAX };
	ns_rr	 rr;
	int	 i, n, rc, cands = 0;

	n = ns_msg_count(*msg, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(msg, ns_s_an, i, &rr) < 0)
			goto malformed;
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in ||
		    !dns_name_eq(ns_rr_name(rr), name))
			continue;
		if (ns_rr_rdata(rr) + ns_rr_rdlen(rr) > eom)
			goto malformed;
		rec.len = 0;
		if (rec.data != NULL)
			rec.data[0] = '\0';
		if ((rc = dns_txt_join(ns_rr_rdata(rr), ns_rr_rdlen(rr),
		    &rec)) == -1)
			goto malformed;
		if (rc == -2) {
			ans->status = DKIM_DNS_BAD;
			ans->cls = DKIM_DNSC_BADRECORD;
			dns_reason(ans->reason, sizeof(ans->reason),
			    "key record too large (over %d bytes)",
			    DK_KEYREC_MAX);
			goto done;
		}
		if (rec.data == NULL || !dns_is_keyrec(rec.data, rec.len))
			continue;
		if (memchr(rec.data, '\0', rec.len) != NULL) {
			/* A C string would silently lose the rest. */
			ans->status = DKIM_DNS_BAD;
			ans->cls = DKIM_DNSC_BADRECORD;
			dns_reason(ans->reason, sizeof(ans->reason),
			    "NUL byte in key record");
			goto done;
		}
		if (++cands == 1) {
			free(ans->txt);
			if ((ans->txt = strdup(rec.data)) == NULL) {
				ans->status = DKIM_DNS_TEMPFAIL;
				ans->cls = DKIM_DNSC_NETWORK;
				dns_reason(ans->reason, sizeof(ans->reason),
				    "out of memory");
				goto done;
			}
		}
		if (ns_rr_ttl(rr) < *ttl)
			*ttl = ns_rr_ttl(rr);
	}
	dk_buf_free(&rec);
	return cands;
malformed:
	ans->status = DKIM_DNS_TEMPFAIL;
	ans->cls = DKIM_DNSC_MALFORMED;
	dns_reason(ans->reason, sizeof(ans->reason), "malformed DNS answer");
done:
	dk_buf_free(&rec);
	free(ans->txt);
	ans->txt = NULL;
	return -1;
}

/*
 * dns_parse_answer - turn a DNS answer to "TXT name" into *ans. The
 * message is checked by ns_initparse() and ns_parserr(), which check
 * every length and name against the end of the message.
 */
void
dns_parse_answer(const unsigned char *buf, int len, const char *name,
    struct dns_answer *ans)
{
	ns_msg	 msg;
	const unsigned char *eom = buf + len;
	char	 cur[NS_MAXDNAME];
	uint32_t ttl = DNS_POS_TTL_MAX;
	int	 rcode, cands;

	if (ns_initparse(buf, len, &msg) < 0)
		goto malformed;
	rcode = ns_msg_getflag(msg, ns_f_rcode);
	if (ns_msg_getflag(msg, ns_f_tc)) {
		ans->status = DKIM_DNS_TEMPFAIL;
		ans->cls = DKIM_DNSC_MALFORMED;
		dns_reason(ans->reason, sizeof(ans->reason),
		    "truncated DNS answer");
		ans->ttl = DNS_TEMP_TTL;
		return;
	}
	if (rcode == ns_r_nxdomain) {
		ans->status = DKIM_DNS_NOKEY;
		ans->cls = DKIM_DNSC_NXDOMAIN;
		dns_reason(ans->reason, sizeof(ans->reason), "no such domain");
		ans->ttl = dns_neg_ttl(&msg, eom);
		return;
	}
	if (rcode != ns_r_noerror) {
		ans->status = DKIM_DNS_TEMPFAIL;
		ans->cls = DKIM_DNSC_SERVFAIL;
		dns_reason(ans->reason, sizeof(ans->reason),
		    "DNS server error (rcode %d)", rcode);
		ans->ttl = DNS_TEMP_TTL;
		return;
	}
	dk_strlcpy(cur, name, sizeof(cur));
	if (dns_follow_cnames(&msg, eom, cur, sizeof(cur), &ttl) < 0)
		goto malformed;
	if ((cands = dns_collect(&msg, eom, cur, ans, &ttl)) < 0) {
		ans->ttl = ans->status == DKIM_DNS_BAD ? dns_neg_ttl(&msg,
		    eom) : DNS_TEMP_TTL;
		return;
	}
	if (cands == 0) {
		ans->status = DKIM_DNS_NOKEY;
		ans->cls = DKIM_DNSC_NODATA;
		dns_reason(ans->reason, sizeof(ans->reason), "no key record");
		ans->ttl = dns_neg_ttl(&msg, eom);
	} else if (cands == 1) {
		ans->status = DKIM_DNS_OK;
		ans->cls = DKIM_DNSC_OK;
		ans->ttl = ttl;
		return;
	} else {
		ans->status = DKIM_DNS_BAD;
		ans->cls = DKIM_DNSC_MULTIPLE;
		dns_reason(ans->reason, sizeof(ans->reason),
		    "%d key records at %s", cands, name);
		ans->ttl = ttl > DNS_NEG_TTL_MAX ? DNS_NEG_TTL_MAX : ttl;
	}
	free(ans->txt);
	ans->txt = NULL;
	return;
malformed:
	ans->status = DKIM_DNS_TEMPFAIL;
	ans->cls = DKIM_DNSC_MALFORMED;
	dns_reason(ans->reason, sizeof(ans->reason), "malformed DNS answer");
	ans->ttl = DNS_TEMP_TTL;
}

/* dk_dns_parse_answer - dns_parse_answer() for the fuzzer (see dk.h) */
enum dkim_dns_status
dk_dns_parse_answer(const unsigned char *buf, size_t len, const char *qname,
    char **txt, unsigned *ttl, char *reason, size_t reasonlen)
{
	struct dns_answer ans;

	memset(&ans, 0, sizeof(ans));
	dns_parse_answer(buf, len > DNS_ANSWER_MAX ? DNS_ANSWER_MAX : (int)len,
	    qname, &ans);
	*txt = ans.txt;
	*ttl = ans.ttl;
	dk_strlcpy(reason, ans.reason, reasonlen);
	return ans.status;
}

/*
 * dns_matches - 1 when ans (len bytes) answers the query q: same ID, QR
 * set, and the same one question (names compared case-insensitively;
 * a question is never compressed, it follows the header).
 */
int
dns_matches(const unsigned char *q, int qlen, const unsigned char *ans,
    int len)
{
	int	 i;

	if (len < qlen || ans[0] != q[0] || ans[1] != q[1] ||
	    (ans[2] & 0x80) == 0 || ans[4] != 0 || ans[5] != 1)
		return 0;
	for (i = NS_HFIXEDSZ; i < qlen; i++)
		if (tolower(ans[i]) != tolower(q[i]))
			return 0;
	return 1;
}
