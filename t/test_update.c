/*
 * test_update.c - unit tests of dkimcore/update.c and tsig.c: UPDATE
 *	messages, TSIG keys, signatures, and BIND's answers checked
 *
 * t/data/update/keys/ holds TSIG key files: good-*.conf parse, bad-*.conf
 * do not, each with its expected reason on a first line "# expect: ...".
 * t/data/update/answers/ holds what BIND 9.18 answered to the requests
 * of the table below (CASE.req as sent, CASE.ans as answered, CASE.time
 * the request's Time Signed), captured by t/data/update/capture.sh, which
 * runs "t/test_update --requests DIR TIME" to write the requests. The
 * requests are rebuilt here from the table with the same time: they must
 * come out byte for byte as sent, and their MAC is what BIND's signed
 * answer is checked against.
 */
#include <arpa/nameser.h>
#include <resolv.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"
#include "tap.h"

#define ZONE	"example.test"
#define NAME	"s1._domainkey.example.test"

/* One request of the captured set. */
struct req {
	const char *name;		/* file name without extension */
	const char *key;		/* key file, or NULL for a query */
	const char *zone, *rrname;
	int	 txt;			/* with a (long) TXT value */
	long	 skew;			/* seconds added to the time */
};

static const struct req reqs[] = {
	{ "noerror", "good-sha256.conf", ZONE, NAME, 1, 0 },
	{ "delete", "good-sha256.conf", ZONE, NAME, 0, 0 },
	{ "refused", "good-sha256.conf", ZONE, "www." ZONE, 1, 0 },
	{ "notauth", "good-sha256.conf", "other.test", "s1._domainkey.other.test",
	    1, 0 },
	{ "badsig", "wrong-secret.conf", ZONE, NAME, 1, 0 },
	{ "badtime", "good-sha256.conf", ZONE, NAME, 1, -3600 },
	{ "soa-sub", NULL, NULL, NAME, 0, 0 },
	{ "soa-apex", NULL, NULL, ZONE, 0, 0 },
};

static char err[256];

/* path - t/data/update/SUB/NAME under $top_srcdir */
static const char *
path(const char *sub, const char *name)
{
	static char buf[1024];
	const char *top = getenv("top_srcdir");

	snprintf(buf, sizeof(buf), "%s/t/data/update/%s/%s", top ? top : ".",
	    sub, name);
	return buf;
}

/* slurp - a whole file into buf; its length, or -1 */
static long
slurp(const char *p, unsigned char *buf, size_t size)
{
	FILE	*fp = fopen(p, "rb");
	size_t	 n;

	if (fp == NULL)
		return -1;
	n = fread(buf, 1, size, fp);
	fclose(fp);
	return (long)n;
}

/* txt_value - a 300-byte key-record-like value (needs two strings) */
static const char *
txt_value(void)
{
	static char v[301];

	memset(v, 'A', 300);
	memcpy(v, "v=DKIM1; k=rsa; p=", 18);
	return v;
}

/* build - the request r at time t into buf; its MAC into mac */
static int
build(const struct req *r, time_t t, unsigned char *buf, size_t size,
    size_t *len, unsigned char *mac, size_t *maclen)
{
	struct dkim_tsig_key k;
	int	 rc;

	if (r->key == NULL)
		return dkim_soa_query(buf, size, len, 0x2b2b, r->rrname);
	if (dkim_tsig_key_load(path("keys", r->key), &k, err, sizeof(err)) < 0)
		return -1;
	rc = dkim_update_build(buf, size, len, 0x1234, r->zone, r->rrname,
	    r->txt ? txt_value() : NULL, 300, err, sizeof(err)) < 0 ||
	    dkim_tsig_sign(buf, size, len, &k, t + r->skew, mac, maclen, err,
	    sizeof(err)) < 0 ? -1 : 0;
	dkim_tsig_key_clear(&k);
	return rc;
}

/* write_requests - capture mode: every request at time t into dir */
static int
write_requests(const char *dir, time_t t)
{
	unsigned char buf[4096], mac[DKIM_TSIG_MAC_MAX];
	char	 p[1024];
	size_t	 i, len, maclen;
	FILE	*fp;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		if (build(&reqs[i], t, buf, sizeof(buf), &len, mac,
		    &maclen) < 0)
			return fprintf(stderr, "%s: %s\n", reqs[i].name, err), 1;
		snprintf(p, sizeof(p), "%s/%s.req", dir, reqs[i].name);
		if ((fp = fopen(p, "wb")) == NULL)
			return perror(p), 1;
		fwrite(buf, 1, len, fp);
		fclose(fp);
	}
	return 0;
}

/* test_keys - key files: the good ones parse, the bad ones say why */
static void
test_keys(void)
{
	struct dkim_tsig_key k;
	char	 first[256], want[256];
	struct dirent *de;
	DIR	*d = opendir(path("keys", ""));
	FILE	*fp;

	ok(dkim_tsig_key_load(path("keys", "good-sha256.conf"), &k, err,
	    sizeof(err)) == 0 && strcmp(k.alg, "hmac-sha256") == 0 &&
	    strcmp(k.name, "rotate-key") == 0 && k.secretlen == 32,
	    "tsig-keygen's hmac-sha256 key: name, algorithm, 32-byte secret");
	ok(dkim_tsig_key_load(path("keys", "good-sha512.conf"), &k, err,
	    sizeof(err)) == 0 && strcmp(k.alg, "hmac-sha512") == 0 &&
	    strcmp(k.name, "big.key") == 0 && k.secretlen == 64,
	    "hmac-sha512 key after comments of three kinds; name lower case, "
	    "final dot dropped");
	dkim_tsig_key_clear(&k);
	ok(k.secretlen == 0 && k.secret[0] == 0, "clear wipes the secret");
	ok(dkim_tsig_key_load(path("keys", "missing.conf"), &k, err,
	    sizeof(err)) < 0, "a missing key file is an error");
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "bad-", 4) != 0)
			continue;
		want[0] = '\0';
		if ((fp = fopen(path("keys", de->d_name), "r")) != NULL) {
			if (fgets(first, sizeof(first), fp) != NULL)
				sscanf(first, "# expect: %255[^\n]", want);
			fclose(fp);
		}
		err[0] = '\0';
		ok(dkim_tsig_key_load(path("keys", de->d_name), &k, err,
		    sizeof(err)) < 0 && want[0] && strstr(err, want) != NULL &&
		    strstr(err, "c2Vj") == NULL, de->d_name);
		if (strstr(err, want) == NULL)
			printf("#   got \"%s\", want \"%s\"\n", err, want);
	}
	if (d != NULL)
		closedir(d);
}

/* test_build - the UPDATE's sections, as libresolv's parser reads them */
static void
test_build(void)
{
	unsigned char buf[4096];
	size_t	 len;
	ns_msg	 m;
	ns_rr	 rr;
	char	 long_label[80];

	ok(dkim_update_build(buf, sizeof(buf), &len, 7, ZONE, NAME,
	    txt_value(), 300, err, sizeof(err)) == 0 &&
	    ns_initparse(buf, (int)len, &m) == 0, "an UPDATE parses");
	is_int(ns_msg_getflag(m, ns_f_opcode), ns_o_update, "opcode UPDATE");
	is_int(ns_msg_count(m, ns_s_zn), 1, "one zone");
	is_int(ns_msg_count(m, ns_s_ud), 2, "delete the RRset, then add");
	ok(ns_parserr(&m, ns_s_zn, 0, &rr) == 0 &&
	    strcmp(ns_rr_name(rr), ZONE) == 0 && ns_rr_type(rr) == ns_t_soa,
	    "zone section: ZONE SOA");
	ok(ns_parserr(&m, ns_s_ud, 0, &rr) == 0 &&
	    ns_rr_class(rr) == ns_c_any && ns_rr_rdlen(rr) == 0 &&
	    ns_rr_type(rr) == ns_t_txt, "first: delete TXT RRset (CLASS ANY)");
	ok(ns_parserr(&m, ns_s_ud, 1, &rr) == 0 &&
	    ns_rr_class(rr) == ns_c_in && ns_rr_ttl(rr) == 300 &&
	    ns_rr_rdlen(rr) == 302 && ns_rr_rdata(rr)[0] == 255 &&
	    ns_rr_rdata(rr)[256] == 45 &&
	    memcmp(ns_rr_rdata(rr) + 1, "v=DKIM1;", 8) == 0,
	    "a 300-byte value is two strings, 255 + 45");
	ok(dkim_update_build(buf, sizeof(buf), &len, 7, ZONE, NAME, NULL, 0,
	    err, sizeof(err)) == 0 && ns_initparse(buf, (int)len, &m) == 0 &&
	    ns_msg_count(m, ns_s_ud) == 1, "delete only: one update record");
	memset(long_label, 'a', 70);
	memcpy(long_label + 70, ".test", 6);
	ok(dkim_update_build(buf, sizeof(buf), &len, 7, ZONE, long_label,
	    "v=DKIM1; p=", 0, err, sizeof(err)) < 0,
	    "a label over 63 bytes is refused");
	ok(dkim_update_build(buf, 100, &len, 7, ZONE, NAME, txt_value(), 0,
	    err, sizeof(err)) < 0 && strstr(err, "too large") != NULL,
	    "a record that does not fit the buffer is refused");
}

/* test_sign - a signed request ends with its TSIG record */
static void
test_sign(void)
{
	struct dkim_tsig_key k;
	unsigned char buf[4096], mac[DKIM_TSIG_MAC_MAX];
	size_t	 len, maclen;
	ns_msg	 m;
	ns_rr	 rr;

	dkim_tsig_key_load(path("keys", "good-sha512.conf"), &k, err,
	    sizeof(err));
	ok(dkim_update_build(buf, sizeof(buf), &len, 9, ZONE, NAME, "v=DKIM1; p=",
	    60, err, sizeof(err)) == 0 && dkim_tsig_sign(buf, sizeof(buf),
	    &len, &k, 1700000000, mac, &maclen, err, sizeof(err)) == 0 &&
	    ns_initparse(buf, (int)len, &m) == 0 &&
	    ns_msg_count(m, ns_s_ar) == 1 && ns_parserr(&m, ns_s_ar, 0,
	    &rr) == 0 && ns_rr_type(rr) == ns_t_tsig &&
	    strcmp(ns_rr_name(rr), "big.key") == 0,
	    "signed: one additional record, TSIG, owner the key name");
	is_int(maclen, 64, "hmac-sha512 MAC is 64 bytes");
	dkim_tsig_key_clear(&k);
}

/* answer - CASE's captured answer checked against its rebuilt request */
static enum dkim_update_status
answer(const char *name, long now_skew, int flip, int strip_tsig,
    int other_mac)
{
	unsigned char req[4096], ans[65536], sent[4096], mac[DKIM_TSIG_MAC_MAX];
	char	 f[64], tbuf[32];
	struct dkim_tsig_key k;
	const struct req *r = NULL;
	size_t	 len, maclen, i;
	long	 alen;
	time_t	 t;
	enum dkim_update_status st;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (strcmp(reqs[i].name, name) == 0)
			r = &reqs[i];
	snprintf(f, sizeof(f), "%s.time", name);
	if (r == NULL || slurp(path("answers", f), (unsigned char *)tbuf,
	    sizeof(tbuf) - 1) <= 0)
		return -1;
	t = (time_t)strtoll(tbuf, NULL, 10);
	snprintf(f, sizeof(f), "%s.req", name);
	if (build(r, t, req, sizeof(req), &len, mac, &maclen) < 0 ||
	    slurp(path("answers", f), sent, sizeof(sent)) != (long)len ||
	    memcmp(sent, req, len) != 0) {
		printf("#   %s: the rebuilt request differs from the one sent\n",
		    name);
		return -1;
	}
	snprintf(f, sizeof(f), "%s.ans", name);
	if ((alen = slurp(path("answers", f), ans, sizeof(ans))) <= 0)
		return -1;
	if (flip)
		ans[HFIXEDSZ + 1] ^= 0x01;	/* in the zone section */
	if (strip_tsig) {
		ns_msg m;
		ns_rr rr;
		if (ns_initparse(ans, (int)alen, &m) < 0 ||
		    ns_parserr(&m, ns_s_ar, 0, &rr) < 0)
			return -1;
		alen = (long)(ns_rr_rdata(rr) - ans) - 10 - 1 -
		    (long)strlen("rotate-key") - 1;
		ans[11]--;
	}
	if (other_mac)
		mac[0] ^= 0x80;
	dkim_tsig_key_load(path("keys", "good-sha256.conf"), &k, err,
	    sizeof(err));
	err[0] = '\0';
	st = dkim_update_answer(ans, (size_t)alen, 0x1234, &k, mac, maclen,
	    t + now_skew, err, sizeof(err));
	dkim_tsig_key_clear(&k);
	printf("#   %s: %s\n", name, err);
	return st;
}

/* test_answers - BIND's answers to the captured requests */
static void
test_answers(void)
{
	is_int(answer("noerror", 0, 0, 0, 0), DKIM_UPDATE_OK,
	    "BIND's NOERROR to a 2-string record: TSIG verified, OK");
	is_int(answer("delete", 0, 0, 0, 0), DKIM_UPDATE_OK,
	    "BIND's NOERROR to a deletion: OK");
	is_int(answer("noerror", 3600, 0, 0, 0), DKIM_UPDATE_TSIG,
	    "the same answer an hour later (a replay) fails: time off");
	is_int(answer("noerror", 0, 1, 0, 0), DKIM_UPDATE_TSIG,
	    "one bit changed in the signed NOERROR: MAC fails");
	is_int(answer("noerror", 0, 0, 1, 0), DKIM_UPDATE_TSIG,
	    "NOERROR with its TSIG taken off (a forged answer) is no success");
	is_int(answer("noerror", 0, 0, 0, 1), DKIM_UPDATE_TSIG,
	    "NOERROR signed for another request is no success");
	is_int(answer("refused", 0, 0, 0, 0), DKIM_UPDATE_REFUSED,
	    "a name outside update-policy: REFUSED");
	ok(strstr(err, "REFUSED") != NULL, "the reason names REFUSED");
	is_int(answer("notauth", 0, 0, 0, 0), DKIM_UPDATE_REFUSED,
	    "a zone the server does not serve: refused");
	ok(strstr(err, "NOTAUTH") != NULL, "the reason names NOTAUTH");
	is_int(answer("badsig", 0, 0, 0, 0), DKIM_UPDATE_TSIG,
	    "wrong secret: TSIG error");
	ok(strstr(err, "BADSIG") != NULL, "the reason names BADSIG");
	is_int(answer("badtime", -3600, 0, 0, 0), DKIM_UPDATE_TSIG,
	    "a clock an hour off: TSIG error");
	ok(strstr(err, "BADTIME") != NULL, "the reason names BADTIME");
}

/* test_soa - the zone from BIND's SOA answers, and a lying SOA refused */
static void
test_soa(void)
{
	unsigned char ans[65536];
	char	 zone[256];
	long	 n;

	n = slurp(path("answers", "soa-sub.ans"), ans, sizeof(ans));
	ok(n > 0 && dkim_soa_zone(ans, (size_t)n, 0x2b2b, NAME, zone,
	    sizeof(zone), err, sizeof(err)) == 0 && strcmp(zone, ZONE) == 0,
	    "SOA in the authority section names the zone of a selector");
	ok(dkim_soa_zone(ans, (size_t)n, 0x2b2c, NAME, zone, sizeof(zone),
	    err, sizeof(err)) < 0, "an answer with another id is refused");
	n = slurp(path("answers", "soa-apex.ans"), ans, sizeof(ans));
	ok(n > 0 && dkim_soa_zone(ans, (size_t)n, 0x2b2b, ZONE, zone,
	    sizeof(zone), err, sizeof(err)) == 0 && strcmp(zone, ZONE) == 0,
	    "SOA in the answer section: the apex is the zone");
	ok(dkim_soa_zone(ans, (size_t)n, 0x2b2b, "s1._domainkey.victim.test",
	    zone, sizeof(zone), err, sizeof(err)) < 0 &&
	    strstr(err, "not a parent") != NULL,
	    "an SOA of a zone that is not a parent of the name is refused");
	ok(dkim_soa_zone(ans, 11, 0x2b2b, ZONE, zone, sizeof(zone), err,
	    sizeof(err)) < 0, "a truncated answer is refused");
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--requests") == 0)
		return write_requests(argv[2], (time_t)strtoll(argv[3], NULL,
		    10));
	plan_lazy();
	test_keys();
	test_build();
	test_sign();
	test_answers();
	test_soa();
	return done_testing();
}
