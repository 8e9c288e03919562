/*
 * bench_engine.c - how fast dkimcore signs, verifies and hashes bodies,
 * beside what OpenSSL alone does on the same machine in the same run
 *
 * SYNOPSIS
 *	bench_engine [-t SECONDS] [-k RSAKEY.pem] [-c CELL] [-n COUNT]
 *
 *	-t	CPU seconds per measurement (default 1.5, or
 *		$BENCH_SECONDS), taken as three runs; the fastest counts
 *	-k	an RSA private key (PEM) to use instead of a fresh RSA-2048 one
 *	-c	run only the cells whose name contains CELL (for profiling)
 *	-n	run each cell exactly COUNT times instead of for a time
 *
 *	To profile one cell (only the measured calls are collected):
 *	valgrind --tool=callgrind --toggle-collect=run_once \
 *	    bench_engine -k rsa.pem -c "engine sign rsa-sha256 2KB" -n 200
 *
 * WHAT IT MEASURES
 *	Messages of 2 KB, 100 KB and 10 MB (text lines of about 70
 *	characters, some with trailing or doubled whitespace, a dozen
 *	header fields, CRLF line ends) are made in memory from a fixed
 *	seed. For each size: signing with rsa-sha256 and ed25519-sha256 and
 *	verifying both, in messages per second, the body fed in 64 KB
 *	chunks as a milter receives it. Verification fetches keys from an
 *	in-memory records source (no DNS: the cost of a cached key). Body
 *	hashing in MB/s is the 10 MB message signed with ed25519 (whose
 *	signature costs microseconds) with c=relaxed/simple and
 *	c=relaxed/relaxed.
 *
 *	The raw rates come from this process with the same keys, the way
 *	`openssl speed` measures them: EVP_PKEY_sign on a context set up
 *	once (RSA), EVP_DigestSign (Ed25519), EVP_DigestUpdate of 64 KB
 *	blocks over the same 10 MB body (SHA-256).
 *
 * OUTPUT
 *	One table row per measurement, "name | value | unit | note", then
 *	the ratios against the engine's targets. Exit status 0, or 1
 *	when a setup step fails or a signature made here does not verify
 *	(a benchmark of failures would mean nothing). Targets missed are
 *	reported, not failed: this is a benchmark, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "dkim.h"
#include "dk.h"
/* msgutil.h's helpers are static; this program uses some of them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "msgutil.h"
#pragma GCC diagnostic pop

#define CHUNK		65536
#define NSIZES		3
#define DOMAIN		"bench.example.com"
#define REPEATS		3	/* runs per cell, the best counts */

static const size_t sizes[NSIZES] = { 2048, 100 * 1024, 10 * 1024 * 1024 };
static const char *const size_names[NSIZES] = { "2KB", "100KB", "10MB" };

static double cell_seconds = 1.5;
static long cell_count;			/* -n: exact count, 0 for a time */
static const char *cell_only;		/* -c */

static dkim_ctx *ctx;
static struct records rec;

/* A message in memory, unsigned and signed by each key. */
struct bmsg {
	char	*text;
	size_t	len;
	size_t	body_off;	/* where the body starts */
	char	*signed_rsa;
	size_t	rsa_len;
	char	*signed_ed;
	size_t	ed_len;
};

static struct bmsg msgs[NSIZES];

/* Results kept for the ratios. */
static double raw_rsa_sign, raw_ed_sign, raw_rsa_verify, raw_ed_verify;
static double raw_sha;
static double eng_sign_rsa[NSIZES], eng_sign_ed[NSIZES];
static double eng_verify_rsa[NSIZES], eng_verify_ed[NSIZES];
static double hash_simple, hash_relaxed;

/*
 * cpu_sec - CPU time of the whole process (all threads, user and system)
 * in seconds. Like `openssl speed`, which counts CPU time rather than
 * wall time, so work that other programs do on the machine at the same
 * time does not count against us. Key lookups run on worker threads and
 * are counted too.
 */
static double
cpu_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* row - one line of the table */
static void
row(const char *name, double value, const char *unit, const char *note)
{
	printf("| %-40s | %12.1f | %-8s | %s\n", name, value, unit,
	    note ? note : "");
	fflush(stdout);
}

/* wanted - 1 when cell name is selected by -c */
static int
wanted(const char *name)
{
	return cell_only == NULL || strstr(name, cell_only) != NULL;
}

/*
 * run_once - call fn(arg) for secs seconds of CPU time (or cell_count
 * times); the rate in calls per CPU second, or -1 when a call failed.
 * The clock is read after batches that grow to about a millisecond, so
 * reading it costs nothing measurable even for the fastest calls.
 * Kept out of line so that a profile can be limited to the measured
 * calls: valgrind --tool=callgrind --toggle-collect=run_once.
 */
static __attribute__((noinline)) double
run_once(int (*fn)(void *), void *arg, double secs)
{
	double t0 = cpu_sec(), t = 0, tb;
	long n = 0, k = 1, i;

	do {
		tb = t;
		for (i = 0; i < k; i++)
			if (fn(arg) < 0)
				return -1;
		n += k;
		t = cpu_sec() - t0;
		if (cell_count)
			k = cell_count - n;
		else if (t - tb < 1e-3 && k < (1L << 20))
			k *= 2;
	} while (cell_count ? n < cell_count : t < secs);
	return t > 0 ? (double)n / t : 0;
}

/*
 * run - the best of REPEATS runs of cell_seconds / REPEATS each: other
 * work on the machine only ever slows a run down, so the fastest run
 * is the closest to the cost of the code itself. -1 on failure.
 */
static double
run(int (*fn)(void *), void *arg)
{
	double best = 0, r;
	int i;

	for (i = 0; i < (cell_count ? 1 : REPEATS); i++) {
		if ((r = run_once(fn, arg, cell_seconds / REPEATS)) < 0)
			return -1;
		if (r > best)
			best = r;
	}
	return best;
}

/* ---- messages ---------------------------------------------------------- */

static unsigned long long seed = 0x9e3779b97f4a7c15ull;

/* rnd - a deterministic pseudo-random number below n (xorshift64) */
static unsigned
rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)(seed % n);
}

static const char *const words[] = {
	"the", "message", "server", "relay", "signature", "domain", "key",
	"of", "and", "a", "to", "is", "delivery", "header", "body", "mail",
	"canonical", "whitespace", "report", "queue", "in", "for", "we",
	"quarterly", "figures", "attached", "please", "review", "before",
	"Monday", "thanks", "regards", "meeting", "agenda", "notes",
};

/* add_line - append one body line of about 70 characters to b */
static int
add_line(struct dk_buf *b, unsigned lineno)
{
	size_t start = b->len, want = 55 + rnd(25);

	if (lineno % 23 == 22)
		return dk_buf_addstr(b, "\r\n");	/* a paragraph break */
	while (b->len - start < want) {
		if (b->len > start && dk_buf_addstr(b,
		    rnd(17) == 0 ? "  " : " ") < 0)
			return -1;
		if (dk_buf_addstr(b, words[rnd(sizeof(words) /
		    sizeof(words[0]))]) < 0)
			return -1;
	}
	if (lineno % 9 == 4 && dk_buf_addstr(b, rnd(2) ? " \t" : "  ") < 0)
		return -1;
	return dk_buf_addstr(b, "\r\n");
}

/* make_msg - a message of about size bytes, header included */
static int
make_msg(struct bmsg *bm, size_t size, unsigned n)
{
	struct dk_buf b = { 0 };
	unsigned i;

	for (i = 0; i < 3; i++)
		if (dk_buf_printf(&b, "Received: from relay%u.example.net "
		    "(relay%u.example.net [192.0.2.%u])\r\n\tby mx.example.org "
		    "with ESMTPS id 4Xb%uQ%u; Mon, 1 Dec 2025 12:0%u:00 +0000"
		    "\r\n", i, i, 10 + i, n, i, i) < 0)
			goto fail;
	if (dk_buf_printf(&b, "From: Alice Sender <alice@" DOMAIN ">\r\n"
	    "To: Bob Receiver <bob@example.org>, carol@example.org\r\n"
	    "Cc: team@example.org\r\n"
	    "Subject: Quarterly figures, size %zu,\r\n  second line of "
	    "the subject\r\n"
	    "Date: Mon, 1 Dec 2025 12:00:00 +0000\r\n"
	    "Message-ID: <bench.%u.%zu@" DOMAIN ">\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "X-Mailer:   bench_engine  1.0\r\n"
	    "\r\n", size, n, size) < 0)
		goto fail;
	bm->body_off = b.len;
	for (i = 0; b.len < size; i++)
		if (add_line(&b, i) < 0)
			goto fail;
	bm->text = b.data;
	bm->len = b.len;
	return 0;
fail:
	dk_buf_free(&b);
	return -1;
}

/* ---- keys -------------------------------------------------------------- */

/* key_from_pkey - a dkim_key from an EVP_PKEY, through PEM in memory */
static dkim_key *
key_from_pkey(EVP_PKEY *pk)
{
	BIO *bio = BIO_new(BIO_s_mem());
	dkim_key *key = NULL;
	char *pem, err[256];
	long n;

	if (bio == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(bio, &pem)) > 0 &&
	    (key = dkim_key_load_pem(pem, (size_t)n, err, sizeof(err))) ==
	    NULL)
		fprintf(stderr, "bench_engine: %s\n", err);
	BIO_free(bio);
	return key;
}

/* load_pkey - a private key from a PEM file */
static EVP_PKEY *
load_pkey(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *pk;

	if (fp == NULL)
		return NULL;
	pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	return pk;
}

/* publish - put key's public record at sel._domainkey.DOMAIN */
static int
publish(dkim_key *key, const char *sel)
{
	char name[128], *txt = dkim_key_public_record(key);

	if (txt == NULL)
		return -1;
	snprintf(name, sizeof(name), "%s._domainkey." DOMAIN, sel);
	records_add(&rec, name, txt, 0);
	free(txt);
	return 0;
}

/* ---- engine cells --------------------------------------------------------- */

struct job {
	const char *text;
	size_t	len;
	dkim_key *key;
	const char *sel;
	enum dkim_canon bcanon;
	int	keep;		/* sign_one: keep the signed message */
	char	*out;		/* ... here (malloc) */
	size_t	outlen;
};

/* sign_one - sign one message as a milter would; 0 or -1 */
static int
sign_one(void *arg)
{
	struct job *j = arg;
	struct dkim_signspec sp = { 0 };
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_SIGN);
	const char *v;
	int rc = -1;

	sp.domain = DOMAIN;
	sp.selector = j->sel;
	sp.key = j->key;
	sp.hcanon = DKIM_CANON_RELAXED;
	sp.bcanon = j->bcanon;
	sp.canon_set = 1;
	if (m == NULL || dkim_msg_add_signer(m, &sp) != DKIM_OK ||
	    feed(m, j->text, j->len, CHUNK) != DKIM_OK ||
	    dkim_sig_count(m) != 1)
		goto out;
	v = dkim_sig_header(m, 0);
	rc = 0;
	if (!j->keep)
		goto out;
	free(j->out);
	j->outlen = strlen(v) + 17 + j->len;
	if ((j->out = malloc(j->outlen + 1)) == NULL) {
		rc = -1;
		goto out;
	}
	snprintf(j->out, j->outlen + 1, "DKIM-Signature:%s\r\n", v);
	memcpy(j->out + strlen(v) + 17, j->text, j->len);
	j->out[j->outlen] = '\0';
out:
	dkim_msg_free(m);
	return rc;
}

/* verify_one - verify one message; 0 when its one signature passes */
static int
verify_one(void *arg)
{
	struct job *j = arg;
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	const struct dkim_sigresult *r;
	int rc = -1;

	if (m != NULL && feed(m, j->text, j->len, CHUNK) == DKIM_OK &&
	    dkim_result_count(m) == 1 && (r = dkim_result_get(m, 0)) &&
	    r->result == DKIM_RES_PASS)
		rc = 0;
	else if (m != NULL && dkim_result_count(m) > 0)
		fprintf(stderr, "bench_engine: verify: %s\n",
		    dkim_result_get(m, 0)->reason);
	dkim_msg_free(m);
	return rc;
}

/* presign - sign every message once with key, keeping the result */
static int
presign(dkim_key *key, const char *sel, int ed)
{
	struct job j = { 0 };
	size_t i;

	for (i = 0; i < NSIZES; i++) {
		j.text = msgs[i].text;
		j.len = msgs[i].len;
		j.key = key;
		j.sel = sel;
		j.bcanon = DKIM_CANON_RELAXED;
		j.keep = 1;
		j.out = NULL;
		if (sign_one(&j) < 0 || j.out == NULL)
			return -1;
		if (ed) {
			msgs[i].signed_ed = j.out;
			msgs[i].ed_len = j.outlen;
		} else {
			msgs[i].signed_rsa = j.out;
			msgs[i].rsa_len = j.outlen;
		}
		if (verify_one(&(struct job){ .text = j.out,
		    .len = j.outlen }) < 0) {
			fprintf(stderr, "bench_engine: a %s message signed "
			    "with %s does not verify\n", size_names[i], sel);
			return -1;
		}
	}
	return 0;
}

/* cell - measure one engine cell and print its row; the rate or -1 */
static double
cell(const char *what, size_t i, int (*fn)(void *), struct job *j)
{
	char name[80], note[80];
	double r;

	snprintf(name, sizeof(name), "engine %s %s", what, size_names[i]);
	if (!wanted(name))
		return 0;
	if ((r = run(fn, j)) < 0) {
		fprintf(stderr, "bench_engine: %s failed\n", name);
		return -1;
	}
	snprintf(note, sizeof(note), "%.1f us/msg, %.1f MB/s", 1e6 / r,
	    r * (double)j->len / 1e6);
	row(name, r, "msg/s", note);
	return r;
}

/* engine_cells - sign and verify every size with both keys */
static int
engine_cells(dkim_key *rsa, dkim_key *ed)
{
	struct job j = { .bcanon = DKIM_CANON_RELAXED };
	size_t i;

	for (i = 0; i < NSIZES; i++) {
		j.text = msgs[i].text;
		j.len = msgs[i].len;
		j.key = rsa;
		j.sel = "rsa";
		if ((eng_sign_rsa[i] = cell("sign rsa-sha256", i, sign_one,
		    &j)) < 0)
			return -1;
		j.key = ed;
		j.sel = "ed";
		if ((eng_sign_ed[i] = cell("sign ed25519-sha256", i,
		    sign_one, &j)) < 0)
			return -1;
		j.text = msgs[i].signed_rsa;
		j.len = msgs[i].rsa_len;
		if ((eng_verify_rsa[i] = cell("verify rsa-sha256", i,
		    verify_one, &j)) < 0)
			return -1;
		j.text = msgs[i].signed_ed;
		j.len = msgs[i].ed_len;
		if ((eng_verify_ed[i] = cell("verify ed25519-sha256", i,
		    verify_one, &j)) < 0)
			return -1;
	}
	return 0;
}

/* hash_cell - body hashing speed of the 10 MB message in MB/s */
static double
hash_cell(dkim_key *ed, enum dkim_canon bc)
{
	struct bmsg *bm = &msgs[NSIZES - 1];
	struct job j = { .text = bm->text, .len = bm->len, .key = ed,
	    .sel = "ed", .bcanon = bc };
	const char *name = bc == DKIM_CANON_SIMPLE ?
	    "engine body hash c=simple 10MB" :
	    "engine body hash c=relaxed 10MB";
	double r, mb = (double)(bm->len - bm->body_off) / 1e6;
	char note[80];

	if (!wanted(name))
		return 0;
	if ((r = run(sign_one, &j)) < 0)
		return -1;
	snprintf(note, sizeof(note), "whole message signed, %.1f ms each",
	    1e3 / r);
	row(name, r * mb, "MB/s", note);
	return r * mb;
}

/* ---- raw OpenSSL ---------------------------------------------------------- */

struct raw {
	EVP_PKEY_CTX *pctx;
	EVP_MD_CTX *mctx;
	unsigned char dg[32];
	unsigned char sig[512];
	size_t	siglen;
	const unsigned char *data;
	size_t	len;
};

/* raw_rsa_sign_one - one EVP_PKEY_sign, as `openssl speed rsa2048` */
static int
raw_rsa_sign_one(void *arg)
{
	struct raw *r = arg;
	size_t n = sizeof(r->sig);

	return EVP_PKEY_sign(r->pctx, r->sig, &n, r->dg, 32) > 0 ? 0 : -1;
}

/* raw_rsa_verify_one - one EVP_PKEY_verify */
static int
raw_rsa_verify_one(void *arg)
{
	struct raw *r = arg;

	return EVP_PKEY_verify(r->pctx, r->sig, r->siglen, r->dg, 32) == 1 ?
	    0 : -1;
}

/* raw_ed_sign_one - one EVP_DigestSign, as `openssl speed ed25519` */
static int
raw_ed_sign_one(void *arg)
{
	struct raw *r = arg;
	size_t n = sizeof(r->sig);

	return EVP_DigestSign(r->mctx, r->sig, &n, r->dg, 32) == 1 ? 0 : -1;
}

/* raw_ed_verify_one - one EVP_DigestVerify */
static int
raw_ed_verify_one(void *arg)
{
	struct raw *r = arg;

	return EVP_DigestVerify(r->mctx, r->sig, r->siglen, r->dg, 32) == 1 ?
	    0 : -1;
}

/* raw_sha_one - SHA-256 of the body in 64 KB blocks */
static int
raw_sha_one(void *arg)
{
	struct raw *r = arg;
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned outlen;
	size_t off, n;

	if (EVP_DigestInit_ex(r->mctx, EVP_sha256(), NULL) != 1)
		return -1;
	for (off = 0; off < r->len; off += n) {
		n = r->len - off < CHUNK ? r->len - off : CHUNK;
		if (EVP_DigestUpdate(r->mctx, r->data + off, n) != 1)
			return -1;
	}
	return EVP_DigestFinal_ex(r->mctx, out, &outlen) == 1 ? 0 : -1;
}

/* raw_rsa - RSA-2048 sign and verify rates with a context made once */
static int
raw_rsa(EVP_PKEY *pk)
{
	struct raw r = { .siglen = sizeof(r.sig) };
	int rc = -1;

	memset(r.dg, 0x5a, sizeof(r.dg));
	if ((r.pctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    EVP_PKEY_sign_init(r.pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(r.pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(r.pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_sign(r.pctx, r.sig, &r.siglen, r.dg, 32) <= 0)
		goto fail;
	if (wanted("raw RSA-2048 sign") &&
	    (raw_rsa_sign = run(raw_rsa_sign_one, &r)) < 0)
		goto fail;
	if (EVP_PKEY_verify_init(r.pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(r.pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(r.pctx, EVP_sha256()) <= 0)
		goto fail;
	if (wanted("raw RSA-2048 verify") &&
	    (raw_rsa_verify = run(raw_rsa_verify_one, &r)) < 0)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_CTX_free(r.pctx);
	return rc;
}

/* raw_ed - Ed25519 sign and verify rates, one context each */
static int
raw_ed(EVP_PKEY *pk)
{
	struct raw r = { .siglen = sizeof(r.sig) };
	int rc = -1;

	memset(r.dg, 0x5a, sizeof(r.dg));
	if ((r.mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(r.mctx, NULL, NULL, NULL, pk) != 1 ||
	    EVP_DigestSign(r.mctx, r.sig, &r.siglen, r.dg, 32) != 1)
		goto fail;
	if (wanted("raw Ed25519 sign") &&
	    (raw_ed_sign = run(raw_ed_sign_one, &r)) < 0)
		goto fail;
	if (EVP_DigestVerifyInit(r.mctx, NULL, NULL, NULL, pk) != 1)
		goto fail;
	if (wanted("raw Ed25519 verify") &&
	    (raw_ed_verify = run(raw_ed_verify_one, &r)) < 0)
		goto fail;
	rc = 0;
fail:
	EVP_MD_CTX_free(r.mctx);
	return rc;
}

/* raw_all - the raw rates, printed */
static int
raw_all(EVP_PKEY *rsa, EVP_PKEY *ed)
{
	struct bmsg *bm = &msgs[NSIZES - 1];
	struct raw r = { .data = (const unsigned char *)bm->text +
	    bm->body_off, .len = bm->len - bm->body_off };
	double mb = (double)r.len / 1e6;

	if (raw_rsa(rsa) < 0 || raw_ed(ed) < 0)
		return -1;
	if (wanted("raw SHA-256")) {
		if ((r.mctx = EVP_MD_CTX_new()) == NULL ||
		    (raw_sha = run(raw_sha_one, &r)) < 0) {
			EVP_MD_CTX_free(r.mctx);
			return -1;
		}
		EVP_MD_CTX_free(r.mctx);
		raw_sha *= mb;
	}
	if (wanted("raw RSA-2048 sign"))
		row("raw RSA-2048 sign (EVP_PKEY_sign)", raw_rsa_sign,
		    "sign/s", NULL);
	if (wanted("raw RSA-2048 verify"))
		row("raw RSA-2048 verify (EVP_PKEY_verify)", raw_rsa_verify,
		    "verify/s", NULL);
	if (wanted("raw Ed25519 sign"))
		row("raw Ed25519 sign (EVP_DigestSign)", raw_ed_sign,
		    "sign/s", NULL);
	if (wanted("raw Ed25519 verify"))
		row("raw Ed25519 verify (EVP_DigestVerify)", raw_ed_verify,
		    "verify/s", NULL);
	if (wanted("raw SHA-256"))
		row("raw SHA-256 (EVP, 64 KB blocks)", raw_sha, "MB/s", NULL);
	return 0;
}

/* ---- ratios ------------------------------------------------------------------ */

/* ratio - one ratio row against a target; skipped when not measured */
static void
ratio(const char *name, double num, double den, const char *target,
    int met)
{
	char note[96];

	if (num <= 0 || den <= 0)
		return;
	if (target == NULL)
		note[0] = '\0';
	else
		snprintf(note, sizeof(note), "target %s: %s", target,
		    met ? "met" : "MISSED");
	printf("| %-40s | %12.3f | %-8s | %s\n", name, num / den, "ratio",
	    note);
}

/* ratios - engine against raw OpenSSL */
static void
ratios(void)
{
	double c;

	printf("|\n");
	c = raw_rsa_sign > 0 && eng_sign_rsa[0] > 0 ?
	    raw_rsa_sign / eng_sign_rsa[0] : 0;
	ratio("cost sign rsa 2KB / raw RSA sign", raw_rsa_sign,
	    eng_sign_rsa[0], "<= 1.05", c > 0 && c <= 1.05);
	ratio("cost sign ed25519 2KB / raw Ed25519 sign", raw_ed_sign,
	    eng_sign_ed[0], NULL, 1);
	ratio("cost verify rsa 2KB / raw RSA verify", raw_rsa_verify,
	    eng_verify_rsa[0], NULL, 1);
	ratio("cost verify ed25519 2KB / raw Ed25519 ver", raw_ed_verify,
	    eng_verify_ed[0], NULL, 1);
	ratio("body hash simple / raw SHA-256", hash_simple, raw_sha,
	    ">= 0.90", raw_sha > 0 && hash_simple / raw_sha >= 0.90);
	ratio("body hash relaxed / raw SHA-256", hash_relaxed, raw_sha,
	    ">= 0.60", raw_sha > 0 && hash_relaxed / raw_sha >= 0.60);
}

/* ---- main --------------------------------------------------------------------- */

/* setup - messages, keys, key records; 0 or -1 */
static int
setup(const char *rsafile, EVP_PKEY **rsa, EVP_PKEY **ed, dkim_key **krsa,
    dkim_key **ked)
{
	size_t i;

	for (i = 0; i < NSIZES; i++)
		if (make_msg(&msgs[i], sizes[i], (unsigned)i) < 0)
			return -1;
	*rsa = rsafile ? load_pkey(rsafile) :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	*ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (*rsa == NULL || *ed == NULL) {
		fprintf(stderr, "bench_engine: cannot %s keys\n",
		    rsafile ? "load" : "make");
		return -1;
	}
	if ((*krsa = key_from_pkey(*rsa)) == NULL ||
	    (*ked = key_from_pkey(*ed)) == NULL ||
	    publish(*krsa, "rsa") < 0 || publish(*ked, "ed") < 0)
		return -1;
	if ((ctx = dkim_ctx_new()) == NULL)
		return -1;
	dkim_ctx_set_keysource(ctx, records_source, &rec);
	if (presign(*krsa, "rsa", 0) < 0 || presign(*ked, "ed", 1) < 0)
		return -1;
	return 0;
}

/* usage - print the synopsis and exit */
static void
usage(void)
{
	fprintf(stderr, "usage: bench_engine [-t SECONDS] [-k RSAKEY.pem] "
	    "[-c CELL] [-n COUNT]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	EVP_PKEY *rsa = NULL, *ed = NULL;
	dkim_key *krsa = NULL, *ked = NULL;
	const char *rsafile = NULL, *env = getenv("BENCH_SECONDS");
	int ch, rc = 1;
	size_t i;

	if (env && atof(env) > 0)
		cell_seconds = atof(env);
	while ((ch = getopt(argc, argv, "t:k:c:n:")) != -1) {
		switch (ch) {
		case 't':
			if ((cell_seconds = atof(optarg)) <= 0)
				usage();
			break;
		case 'k':
			rsafile = optarg;
			break;
		case 'c':
			cell_only = optarg;
			break;
		case 'n':
			if ((cell_count = atol(optarg)) <= 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (setup(rsafile, &rsa, &ed, &krsa, &ked) < 0)
		goto out;
	printf("| %-40s | %12s | %-8s | %s\n", "measurement", "value", "unit",
	    "note");
	if (raw_all(rsa, ed) < 0 || engine_cells(krsa, ked) < 0 ||
	    (hash_simple = hash_cell(ked, DKIM_CANON_SIMPLE)) < 0 ||
	    (hash_relaxed = hash_cell(ked, DKIM_CANON_RELAXED)) < 0)
		goto out;
	ratios();
	rc = 0;
out:
	dkim_ctx_free(ctx);
	dkim_key_free(krsa);
	dkim_key_free(ked);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	records_free(&rec);
	for (i = 0; i < NSIZES; i++) {
		free(msgs[i].text);
		free(msgs[i].signed_rsa);
		free(msgs[i].signed_ed);
	}
	return rc;
}
