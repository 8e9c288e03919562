/*
 * test_verify.c - the cache of parsed public keys in verify.c: a rotated
 * key is used at once, more keys than the cache holds all verify, a
 * record whose k= does not fit its p= leaves nothing behind, and
 * threads that verify with many keys at once all pass; the failures
 * carry their causes (bad_signature, key_type, key_invalid). Keys come from a
 * records source (no DNS); they are made here, so no key files needed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim.h"
#include "tap.h"
/* msgutil.h's helpers are static; this program uses some of them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "msgutil.h"
#pragma GCC diagnostic pop

#define NKEYS		40	/* more than verify.c's PK_CACHE_SIZE (32) */
#define NTHREADS	4
#define PER_THREAD	100
#define DOMAIN		"cache.example.com"

static dkim_ctx *ctx;
static struct records rec;
static char *signed_msg[NKEYS];

static const char body_msg[] =
    "From: Alice <alice@" DOMAIN ">\r\n"
    "To: bob@example.org\r\n"
    "Subject: key cache\r\n"
    "\r\n"
    "Hello  world. \r\n";

/* publish - (re)publish key's record at sel; the latest record wins */
static void
publish(dkim_key *key, const char *sel)
{
	records_publish(&rec, key, sel, DOMAIN);
}

/* sign_with - the test message signed by key as sel (malloc), or NULL */
static char *
sign_with(dkim_key *key, const char *sel)
{
	return signed_copy(ctx, key, DOMAIN, sel, body_msg);
}

/*
 * result_of - the result of a message's one signature, or -1; its
 * cause's token in *cause when cause is not NULL ("" without one)
 */
static int
result_of_cause(const char *msg, const char **cause)
{
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	int r = -1;

	if (cause != NULL)
		*cause = "";
	if (msg && feed(m, msg, strlen(msg), 0) == DKIM_OK &&
	    dkim_result_count(m) == 1) {
		r = (int)dkim_result_get(m, 0)->result;
		if (cause != NULL)
			*cause = dkim_cause_name(dkim_result_get(m, 0)->cause);
	}
	dkim_msg_free(m);
	return r;
}

#define result_of(msg)	result_of_cause((msg), NULL)

/* test_rotation - a new key at the same selector replaces the old one */
static void
test_rotation(void)
{
	dkim_key *a = new_key("RSA"), *b = new_key("RSA");
	const char *cause;
	char *ma, *mb;

	ok(a && b, "two RSA keys made");
	if (a == NULL || b == NULL)
		goto out;
	publish(a, "rot");
	ma = sign_with(a, "rot");
	is_int(result_of(ma), DKIM_RES_PASS, "key A published: A's "
	    "signature passes (and A is now cached)");
	is_int(result_of(ma), DKIM_RES_PASS, "A's signature passes again, "
	    "from the cache");
	publish(b, "rot");
	mb = sign_with(b, "rot");
	is_int(result_of(mb), DKIM_RES_PASS, "key B published at the same "
	    "selector: B's signature passes");
	is_int(result_of_cause(ma, &cause), DKIM_RES_FAIL, "after the "
	    "rotation A's signature fails: the cached A is not used for B's "
	    "record");
	is_str(cause, "bad_signature", "... cause bad_signature (b= does not "
	    "verify with B)");
	free(ma);
	free(mb);
out:
	dkim_key_free(a);
	dkim_key_free(b);
}

/* test_type_mismatch - k= that does not fit p= poisons nothing */
static void
test_type_mismatch(void)
{
	dkim_key *ed = new_key("ED25519");
	const char *cause;
	char *txt, *p, *msg, name[128];

	if (ed == NULL || (txt = dkim_key_public_record(ed)) == NULL) {
		ok(0, "ed25519 key made");
		dkim_key_free(ed);
		return;
	}
	msg = sign_with(ed, "kmix");
	p = strstr(txt, "p=");
	snprintf(name, sizeof(name), "v=DKIM1; k=rsa; %s", p ? p : "p=");
	records_add(&rec, "kmix._domainkey." DOMAIN, name, 0);
	ok(result_of_cause(msg, &cause) != DKIM_RES_PASS, "an ed25519 p= "
	    "published with k=rsa never passes");
	is_str(cause, "key_type", "... cause key_type (k=rsa for "
	    "a=ed25519-sha256)");
	records_add(&rec, "kmix._domainkey." DOMAIN, "v=DKIM1; k=ed25519; "
	    "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 0);
	is_int(result_of_cause(msg, &cause), DKIM_RES_PERMERROR, "k=ed25519 "
	    "whose p= is the start of an RSA key: permerror");
	is_str(cause, "key_invalid", "... cause key_invalid");
	records_add(&rec, "kmix._domainkey." DOMAIN, txt, 0);
	is_int(result_of(msg), DKIM_RES_PASS, "the same p= with k=ed25519 "
	    "then passes: the refused record left nothing behind");
	free(msg);
	free(txt);
	dkim_key_free(ed);
}

/* make_many - NKEYS keys (a few RSA, the rest Ed25519), each published */
static int
make_many(void)
{
	char sel[16];
	dkim_key *k;
	int i;

	for (i = 0; i < NKEYS; i++) {
		snprintf(sel, sizeof(sel), "k%d", i);
		if ((k = new_key(i % 10 == 0 ? "RSA" : "ED25519")) == NULL)
			return -1;
		publish(k, sel);
		signed_msg[i] = sign_with(k, sel);
		dkim_key_free(k);
		if (signed_msg[i] == NULL)
			return -1;
	}
	return 0;
}

/* test_eviction - more keys than the cache holds, twice round, all pass */
static void
test_eviction(void)
{
	int i, round, pass = 0;

	for (round = 0; round < 2; round++)
		for (i = 0; i < NKEYS; i++)
			if (result_of(signed_msg[i]) == DKIM_RES_PASS)
				pass++;
	is_int(pass, 2 * NKEYS, "40 keys (more than the 32 cached) verified "
	    "twice round: every signature passes");
}

/* verifier - one thread's share of test_threads; counts failures */
static void *
verifier(void *arg)
{
	int *bad = arg, i, id = bad[1];

	for (i = 0; i < PER_THREAD; i++)
		if (result_of(signed_msg[(i * 7 + id) % NKEYS]) !=
		    DKIM_RES_PASS)
			bad[0]++;
	return NULL;
}

/* test_threads - threads verifying with many keys at once all pass */
static void
test_threads(void)
{
	pthread_t tid[NTHREADS];
	int bad[NTHREADS][2], i, started = 0, fails = 0;

	for (i = 0; i < NTHREADS; i++) {
		bad[i][0] = 0;
		bad[i][1] = i;
		if (pthread_create(&tid[i], NULL, verifier, bad[i]) == 0)
			started++;
		else
			break;
	}
	for (i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		fails += bad[i][0];
	}
	is_int(started, NTHREADS, "4 verifying threads started");
	is_int(fails, 0, "4 threads x 100 verifications over 40 keys, "
	    "cache shared and evicting: all pass");
}

int
main(void)
{
	int i;

	plan_lazy();
	if ((ctx = dkim_ctx_new()) == NULL) {
		ok(0, "context made");
		return done_testing();
	}
	dkim_ctx_set_keysource(ctx, records_source, &rec);
	test_rotation();
	test_type_mismatch();
	ok(make_many() == 0, "40 keys made, published and used to sign");
	test_eviction();
	test_threads();
	for (i = 0; i < NKEYS; i++)
		free(signed_msg[i]);
	dkim_ctx_free(ctx);
	records_free(&rec);
	return done_testing();
}
