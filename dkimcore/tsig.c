/*
 * tsig.c - TSIG (RFC 8945) keys, signatures on requests, and the check
 *	of a server's signed answer to an UPDATE
 *
 * SYNOPSIS
 *	dkim_tsig_key_parse(text, len, &k, err, errlen)
 *	dkim_tsig_key_load(path, &k, err, errlen)
 *	dkim_tsig_key_clear(&k)
 *	dkim_tsig_sign(buf, size, &len, &k, now, mac, &maclen, err, errlen)
 *	dkim_update_answer(ans, len, id, &k, reqmac, reqmaclen, now, ...)
 *
 * CONTRACT
 *	Keys are read from BIND's form, as tsig-keygen writes it:
 *	    key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 *	(comments "#", "//" and C-style skipped; the first key clause of the
 *	file is taken; hmac-sha256 and hmac-sha512). A secret never appears
 *	in an error text and is wiped by dkim_tsig_key_clear().
 *	The MAC of a request covers the message and the TSIG variables
 *	(RFC 8945 §4.3.3); that of an answer is preceded by the request's MAC
 *	(§4.3.1) and covers the answer with the TSIG record taken off
 *	(ARCOUNT one less, the original ID). An answer whose MAC does not
 *	verify, whose time is outside the fudge, or that is not signed at
 *	all is never taken as success: a forged NOERROR must not make a
 *	rotation go on. HMAC is OpenSSL's EVP_MAC.
 */
#include <arpa/nameser.h>
#include <resolv.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dk.h"
#include "update.h"

#define TSIG_TOKEN_MAX	512		/* bytes of one key file token */
#define TSIG_VARS_MAX	(2 * NS_MAXCDNAME + 16)

/* tsig_digest - the OpenSSL digest of a TSIG algorithm name, or NULL */
static const char *
tsig_digest(const char *alg)
{
	if (strcasecmp(alg, "hmac-sha256") == 0)
		return "SHA256";
	if (strcasecmp(alg, "hmac-sha512") == 0)
		return "SHA512";
	return NULL;
}

/* ---- key files ------------------------------------------------------ */

struct tsig_lex {
	const char *cp, *end;
	char	tok[TSIG_TOKEN_MAX];
	int	quoted;
};

/* tsig_skip - past white space and the three kinds of comment */
static void
tsig_skip(struct tsig_lex *lx)
{
	while (lx->cp < lx->end) {
		if (isspace((unsigned char)*lx->cp))
			lx->cp++;
		else if (*lx->cp == '#' || (lx->end - lx->cp >= 2 &&
		    lx->cp[0] == '/' && lx->cp[1] == '/')) {
			while (lx->cp < lx->end && *lx->cp != '\n')
				lx->cp++;
		} else if (lx->end - lx->cp >= 2 && lx->cp[0] == '/' &&
		    lx->cp[1] == '*') {
			lx->cp += 2;
			while (lx->end - lx->cp >= 2 &&
			    !(lx->cp[0] == '*' && lx->cp[1] == '/'))
				lx->cp++;
			lx->cp = lx->end - lx->cp >= 2 ? lx->cp + 2 : lx->end;
		} else
			return;
	}
}

/*
 * tsig_next - the next token into lx->tok: a quoted string (without its
 * quotes), one of "{};", or a word. 0, or -1 at the end or when too long.
 */
static int
tsig_next(struct tsig_lex *lx)
{
	size_t	 n = 0;

	tsig_skip(lx);
	lx->quoted = 0;
	if (lx->cp >= lx->end)
		return -1;
	if (*lx->cp == '"') {
		lx->quoted = 1;
		for (lx->cp++; lx->cp < lx->end && *lx->cp != '"'; lx->cp++) {
			if (n + 1 >= sizeof(lx->tok) || *lx->cp == '\0')
				return -1;
			lx->tok[n++] = *lx->cp;
		}
		if (lx->cp >= lx->end)
			return -1;
		lx->cp++;
	} else if (strchr("{};", *lx->cp) != NULL)
		lx->tok[n++] = *lx->cp++;
	else
		while (lx->cp < lx->end && !isspace((unsigned char)*lx->cp) &&
		    strchr("{};\"", *lx->cp) == NULL) {
			if (n + 1 >= sizeof(lx->tok) || *lx->cp == '\0')
				return -1;
			lx->tok[n++] = *lx->cp++;
		}
	lx->tok[n] = '\0';
	return 0;
}

/* tsig_expect - the next token must be s */
static int
tsig_expect(struct tsig_lex *lx, const char *s)
{
	return tsig_next(lx) == 0 && !lx->quoted && strcmp(lx->tok, s) == 0 ?
	    0 : -1;
}

/* tsig_secret - decode base64 s into k's secret; -1 when it is not */
static int
tsig_secret(const char *s, struct dkim_tsig_key *k)
{
	unsigned char out[DKIM_TSIG_SECRET_MAX * 2];
	size_t	 sl = strlen(s);
	int	 n;

	if (sl == 0 || sl % 4 != 0 || sl / 4 * 3 > sizeof(out))
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)sl);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	n -= (s[sl - 1] == '=') + (s[sl - 2] == '=');
	if (n <= 0 || (size_t)n > DKIM_TSIG_SECRET_MAX) {
		OPENSSL_cleanse(out, sizeof(out));
		return -1;
	}
	memcpy(k->secret, out, (size_t)n);
	k->secretlen = (size_t)n;
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}

/* tsig_keyname - the key's name, checked as a domain name, lower case */
static int
tsig_keyname(const char *s, struct dkim_tsig_key *k)
{
	unsigned char wire[NS_MAXCDNAME];
	size_t	 n = strlen(s), i;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof(k->name))
		return -1;
	memcpy(k->name, s, n);
	k->name[n] = '\0';
	for (i = 0; i < n; i++)
		k->name[i] = (char)tolower((unsigned char)k->name[i]);
	return dn_comp(k->name, wire, sizeof(wire), NULL, NULL) < 0 ? -1 : 0;
}

/* tsig_clause - the statements inside "key NAME { ... };" */
static int
tsig_clause(struct tsig_lex *lx, struct dkim_tsig_key *k, char *err,
    size_t errlen)
{
	int	 is_alg;

	for (;;) {
		if (tsig_next(lx) < 0)
			goto syntax;
		if (!lx->quoted && strcmp(lx->tok, "}") == 0)
			break;
		if (lx->quoted || (strcmp(lx->tok, "algorithm") != 0 &&
		    strcmp(lx->tok, "secret") != 0)) {
			dk_why(err, errlen, "key file: unknown statement");
			return -1;
		}
		is_alg = lx->tok[0] == 'a';
		if (tsig_next(lx) < 0)
			goto syntax;
		if (is_alg) {
			if (tsig_digest(lx->tok) == NULL) {
				dk_why(err, errlen, "key file: algorithm not "
				    "hmac-sha256 or hmac-sha512");
				return -1;
			}
			dk_strlcpy(k->alg, lx->tok, sizeof(k->alg));
			for (char *p = k->alg; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		} else if (tsig_secret(lx->tok, k) < 0) {
			OPENSSL_cleanse(lx->tok, sizeof(lx->tok));
			dk_why(err, errlen, "key file: secret is not base64");
			return -1;
		}
		OPENSSL_cleanse(lx->tok, sizeof(lx->tok));
		if (tsig_expect(lx, ";") < 0)
			goto syntax;
	}
	if (tsig_expect(lx, ";") < 0)
		goto syntax;
	return 0;
syntax:
	OPENSSL_cleanse(lx->tok, sizeof(lx->tok));
	dk_why(err, errlen, "key file: syntax error");
	return -1;
}

/* dkim_tsig_key_parse - the first key clause of text */
int
dkim_tsig_key_parse(const char *text, size_t len, struct dkim_tsig_key *k,
    char *err, size_t errlen)
{
	struct tsig_lex lx = { text, text + len, "", 0 };

	memset(k, 0, sizeof(*k));
	if (len > DKIM_TSIG_FILE_MAX) {
		dk_why(err, errlen, "key file: over %d bytes",
		    DKIM_TSIG_FILE_MAX);
		return -1;
	}
	if (tsig_expect(&lx, "key") < 0 || tsig_next(&lx) < 0 ||
	    tsig_keyname(lx.tok, k) < 0 || tsig_expect(&lx, "{") < 0) {
		dk_why(err, errlen, "key file: no 'key \"NAME\" {' clause");
		goto fail;
	}
	if (tsig_clause(&lx, k, err, errlen) < 0)
		goto fail;
	if (k->alg[0] == '\0' || k->secretlen == 0) {
		dk_why(err, errlen, "key file: %s missing",
		    k->alg[0] ? "secret" : "algorithm");
		goto fail;
	}
	return 0;
fail:
	dkim_tsig_key_clear(k);
	return -1;
}

/* dkim_tsig_key_load - the key in file path */
int
dkim_tsig_key_load(const char *path, struct dkim_tsig_key *k, char *err,
    size_t errlen)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd, rc = -1;

	memset(k, 0, sizeof(*k));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		dk_why(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(DKIM_TSIG_FILE_MAX + 1)) == NULL)
		goto out;
	while ((n = read(fd, buf + len, DKIM_TSIG_FILE_MAX + 1 - len)) > 0 &&
	    (len += (size_t)n) <= DKIM_TSIG_FILE_MAX)
		;
	if (n < 0)
		dk_why(err, errlen, "%s: %s", path, strerror(errno));
	else
		rc = dkim_tsig_key_parse(buf, len, k, err, errlen);
	OPENSSL_cleanse(buf, DKIM_TSIG_FILE_MAX + 1);
out:
	free(buf);
	close(fd);
	return rc;
}

/* dkim_tsig_key_clear - forget k, its secret wiped */
void
dkim_tsig_key_clear(struct dkim_tsig_key *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k, sizeof(*k));
}

/* ---- MACs ----------------------------------------------------------- */

/* tsig_put16 - a 16-bit value in network order */
static unsigned char *
tsig_put16(unsigned char *p, unsigned v)
{
	*p++ = (unsigned char)(v >> 8);
	*p++ = (unsigned char)v;
	return p;
}

/* tsig_put48 - Time Signed, 48 bits */
static unsigned char *
tsig_put48(unsigned char *p, uint64_t t)
{
	p = tsig_put16(p, (unsigned)(t >> 32) & 0xffff);
	p = tsig_put16(p, (unsigned)(t >> 16) & 0xffff);
	return tsig_put16(p, (unsigned)t & 0xffff);
}

/* tsig_wire - name in canonical wire form (lower case, uncompressed) */
static int
tsig_wire(const char *name, unsigned char *out, size_t size)
{
	char	 low[NS_MAXDNAME];
	size_t	 i;

	if (dk_strlcpy(low, name, sizeof(low)) >= sizeof(low))
		return -1;
	for (i = 0; low[i]; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	return dn_comp(low, out, (int)size, NULL, NULL);
}

/*
 * tsig_vars - the TSIG variables (RFC 8945 §4.3.3) into out: key name,
 * class ANY, TTL 0, algorithm, time, fudge, error, other data (empty
 * unless given); the length or -1
 */
static int
tsig_vars(unsigned char *out, size_t size, const struct dkim_tsig_key *k,
    uint64_t t, unsigned fudge, unsigned error, const unsigned char *other,
    unsigned otherlen)
{
	unsigned char *p = out;
	int	 n;

	if ((n = tsig_wire(k->name, p, size)) < 0)
		return -1;
	p += n;
	p = tsig_put16(p, ns_c_any);
	p = tsig_put16(p, 0);
	p = tsig_put16(p, 0);			/* TTL 0 */
	if ((n = tsig_wire(k->alg, p, size - (size_t)(p - out))) < 0 ||
	    size - (size_t)(p - out) - (size_t)n < 12 + (size_t)otherlen)
		return -1;
	p += n;
	p = tsig_put48(p, t);
	p = tsig_put16(p, fudge);
	p = tsig_put16(p, error);
	p = tsig_put16(p, otherlen);
	if (otherlen > 0)
		memcpy(p, other, otherlen);
	return (int)(p - out) + (int)otherlen;
}

/* tsig_hmac - HMAC of the n parts (ptr, len) with k; its length, or -1 */
static int
tsig_hmac(const struct dkim_tsig_key *k, const unsigned char *const *part,
    const size_t *plen, int n, unsigned char *mac)
{
	EVP_MAC *m = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t	 outl = 0;
	int	 i, rc = -1;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)tsig_digest(k->alg), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (tsig_digest(k->alg) == NULL ||
	    (m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(m)) == NULL ||
	    EVP_MAC_init(ctx, k->secret, k->secretlen, params) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (EVP_MAC_update(ctx, part[i], plen[i]) != 1)
			goto out;
	if (EVP_MAC_final(ctx, mac, &outl, DKIM_TSIG_MAC_MAX) == 1)
		rc = (int)outl;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return rc;
}

/* dkim_tsig_sign - sign the message buf[0..*len) with k */
int
dkim_tsig_sign(unsigned char *buf, size_t size, size_t *len,
    const struct dkim_tsig_key *k, time_t now, unsigned char *mac,
    size_t *maclen, char *err, size_t errlen)
{
	unsigned char vars[TSIG_VARS_MAX], *p, *rd;
	const unsigned char *part[2] = { buf, vars };
	size_t	 plen[2];
	int	 nv, nm, n;
	unsigned id, ar;

	if (*len < HFIXEDSZ || (nv = tsig_vars(vars, sizeof(vars), k,
	    (uint64_t)now, DKIM_TSIG_FUDGE, 0, NULL, 0)) < 0) {
		dk_why(err, errlen, "TSIG: bad message or key");
		return -1;
	}
	plen[0] = *len, plen[1] = (size_t)nv;
	if ((nm = tsig_hmac(k, part, plen, 2, mac)) < 0) {
		dk_why(err, errlen, "TSIG: HMAC failed");
		return -1;
	}
	*maclen = (size_t)nm;
	/* The record: NAME TYPE CLASS TTL RDLENGTH RDATA (§4.2). */
	p = buf + *len;
	if (size - *len < NS_MAXCDNAME * 2 + 32 + (size_t)nm ||
	    (n = tsig_wire(k->name, p, NS_MAXCDNAME)) < 0)
		goto small;
	p += n;
	p = tsig_put16(p, ns_t_tsig);
	p = tsig_put16(p, ns_c_any);
	p = tsig_put16(tsig_put16(p, 0), 0);
	rd = p + 2;
	if ((n = tsig_wire(k->alg, rd, NS_MAXCDNAME)) < 0)
		goto small;
	id = (unsigned)buf[0] << 8 | buf[1];
	p = tsig_put48(rd + n, (uint64_t)now);
	p = tsig_put16(p, DKIM_TSIG_FUDGE);
	p = tsig_put16(p, (unsigned)nm);
	memcpy(p, mac, (size_t)nm);
	p = tsig_put16(p + nm, id);
	p = tsig_put16(p, 0);			/* error */
	p = tsig_put16(p, 0);			/* other len */
	tsig_put16(rd - 2, (unsigned)(p - rd));
	ar = (unsigned)buf[10] << 8 | buf[11];
	tsig_put16(buf + 10, ar + 1);
	*len = (size_t)(p - buf);
	return 0;
small:
	dk_why(err, errlen, "TSIG: message too large");
	return -1;
}

/* ---- answers -------------------------------------------------------- */

/* The TSIG record of an answer, as found by tsig_locate(). */
struct tsig_rr {
	size_t	start;			/* offset of the record */
	char	name[NS_MAXDNAME], alg[NS_MAXDNAME];
	uint64_t time;
	unsigned fudge, maclen, origid, error, otherlen;
	const unsigned char *mac, *other;
};

/* tsig_get16 - a 16-bit value in network order */
static unsigned
tsig_get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* tsig_rdata - the fields of a TSIG RDATA rd[0..rdlen) into t */
static int
tsig_rdata(const unsigned char *msg, const unsigned char *eom,
    const unsigned char *rd, size_t rdlen, struct tsig_rr *t)
{
	const unsigned char *end = rd + rdlen, *p;
	int	 n;

	if ((n = dn_expand(msg, end, rd, t->alg, sizeof(t->alg))) < 0 ||
	    end - (p = rd + n) < 10)
		return -1;
	(void)eom;
	t->time = (uint64_t)tsig_get16(p) << 32 |
	    (uint64_t)tsig_get16(p + 2) << 16 | tsig_get16(p + 4);
	t->fudge = tsig_get16(p + 6);
	t->maclen = tsig_get16(p + 8);
	p += 10;
	if ((size_t)(end - p) < (size_t)t->maclen + 6)
		return -1;
	t->mac = p;
	p += t->maclen;
	t->origid = tsig_get16(p);
	t->error = tsig_get16(p + 2);
	t->otherlen = tsig_get16(p + 4);
	p += 6;
	if ((size_t)(end - p) != t->otherlen)
		return -1;
	t->other = p;
	return 0;
}

/*
 * tsig_locate - walk every section of ans; when its last record is a
 * TSIG, fill t and return 1; 0 when it has none; -1 when malformed
 */
static int
tsig_locate(const unsigned char *ans, size_t len, struct tsig_rr *t)
{
	const unsigned char *p = ans + HFIXEDSZ, *eom = ans + len, *rr;
	unsigned qd = tsig_get16(ans + 4), nrr, i, type, rdlen;
	int	 n;

	nrr = tsig_get16(ans + 6) + tsig_get16(ans + 8) + tsig_get16(ans + 10);
	for (i = 0; i < qd; i++) {
		if ((n = dn_skipname(p, eom)) < 0 || eom - p - n < 4)
			return -1;
		p += n + 4;
	}
	for (i = 0; i < nrr; i++) {
		rr = p;
		if ((n = dn_skipname(p, eom)) < 0 || eom - p - n < 10)
			return -1;
		p += n;
		type = tsig_get16(p);
		rdlen = tsig_get16(p + 8);
		p += 10;
		if ((size_t)(eom - p) < rdlen)
			return -1;
		if (type == ns_t_tsig) {
			/* §5.2: only as the last record of the message. */
			if (i != nrr - 1 || tsig_get16(ans + 10) == 0 ||
			    p + rdlen != eom)
				return -1;
			t->start = (size_t)(rr - ans);
			if (dn_expand(ans, eom, rr, t->name, sizeof(t->name)) <
			    0 || tsig_rdata(ans, eom, p, rdlen, t) < 0)
				return -1;
			return 1;
		}
		p += rdlen;
	}
	return p == eom ? 0 : -1;
}

/* tsig_check - the MAC and time of answer ans (TSIG t) against k */
static enum dkim_update_status
tsig_check(const unsigned char *ans, const struct tsig_rr *t,
    const struct dkim_tsig_key *k, const unsigned char *reqmac,
    size_t reqmaclen, time_t now, char *err, size_t errlen)
{
	unsigned char hdr[HFIXEDSZ], vars[TSIG_VARS_MAX + 65536];
	unsigned char pre[2], mac[DKIM_TSIG_MAC_MAX];
	const unsigned char *part[5];
	size_t	 plen[5];
	int	 nv, nm;
	int64_t	 skew;

	if (strcasecmp(t->name, k->name) != 0 ||
	    strcasecmp(t->alg, k->alg) != 0) {
		dk_why(err, errlen, "answer signed by another key");
		return DKIM_UPDATE_TSIG;
	}
	if (t->error != 0) {
		/* §5.3.2: BADSIG and BADKEY answers carry no MAC. */
		dk_why(err, errlen, "TSIG error %s from the server (wrong "
		    "secret, key name or clock?)", dkim_rcode_name(t->error));
		return DKIM_UPDATE_TSIG;
	}
	memcpy(hdr, ans, HFIXEDSZ);
	tsig_put16(hdr, t->origid);
	tsig_put16(hdr + 10, tsig_get16(ans + 10) - 1);
	tsig_put16(pre, (unsigned)reqmaclen);
	if ((nv = tsig_vars(vars, sizeof(vars), k, t->time, t->fudge,
	    t->error, t->other, t->otherlen)) < 0)
		goto bad;
	part[0] = pre, plen[0] = 2;
	part[1] = reqmac, plen[1] = reqmaclen;
	part[2] = hdr, plen[2] = HFIXEDSZ;
	part[3] = ans + HFIXEDSZ, plen[3] = t->start - HFIXEDSZ;
	part[4] = vars, plen[4] = (size_t)nv;
	if ((nm = tsig_hmac(k, part, plen, 5, mac)) < 0 ||
	    (size_t)nm != t->maclen || CRYPTO_memcmp(mac, t->mac,
	    (size_t)nm) != 0)
		goto bad;
	skew = (int64_t)now - (int64_t)t->time;
	if (skew > (int64_t)t->fudge || -skew > (int64_t)t->fudge) {
		dk_why(err, errlen, "answer's TSIG time is %lld s off",
		    (long long)skew);
		return DKIM_UPDATE_TSIG;
	}
	return DKIM_UPDATE_OK;
bad:
	dk_why(err, errlen, "answer's TSIG does not verify");
	return DKIM_UPDATE_TSIG;
}

/* dkim_update_answer - the outcome that answer ans gives */
enum dkim_update_status
dkim_update_answer(const unsigned char *ans, size_t len, uint16_t id,
    const struct dkim_tsig_key *k, const unsigned char *reqmac,
    size_t reqmaclen, time_t now, char *err, size_t errlen)
{
	struct tsig_rr t;
	enum dkim_update_status st;
	unsigned rcode;
	int	 found;

	if (len < HFIXEDSZ || len > DKIM_UPDATE_MAX ||
	    tsig_get16(ans) != id || !(ans[2] & 0x80) ||
	    ((ans[2] >> 3) & 0xf) != ns_o_update) {
		dk_why(err, errlen, "not an answer to our UPDATE");
		return DKIM_UPDATE_BAD;
	}
	rcode = ans[3] & 0xf;
	if ((found = tsig_locate(ans, len, &t)) < 0) {
		dk_why(err, errlen, "malformed answer");
		return DKIM_UPDATE_BAD;
	}
	if (k != NULL && found == 0) {
		dk_why(err, errlen, "answer (%s) not signed with TSIG",
		    dkim_rcode_name(rcode));
		return DKIM_UPDATE_TSIG;
	}
	if (k != NULL && (st = tsig_check(ans, &t, k, reqmac, reqmaclen, now,
	    err, errlen)) != DKIM_UPDATE_OK)
		return st;
	if (rcode != ns_r_noerror) {
		dk_why(err, errlen, "server answered %s", dkim_rcode_name(rcode));
		return DKIM_UPDATE_REFUSED;
	}
	return DKIM_UPDATE_OK;
}
