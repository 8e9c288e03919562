/*
 * msgutil.h - helpers for engine tests: read files, feed a message in
 * chunks, serve key records from a records file (NAME VALUE per line),
 * make keys.
 *
 * Everything here is static and meant for test programs only.
 */
#ifndef MSGUTIL_H
#define MSGUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim.h"

/* slurp - a whole file, NUL-terminated, or NULL */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (lenp)
				*lenp = (size_t)n;
		}
	}
	fclose(fp);
	return buf;
}

/*
 * feed - give a whole message (LF or CRLF) to m: header fields one by
 * one, then the body in chunks of chunk bytes (0: all at once).
 * Returns the status of dkim_eom(), or DKIM_ERR from an earlier call.
 */
static int
feed(dkim_msg *m, const char *msg, size_t len, size_t chunk)
{
	const char *p = msg, *end = msg + len, *start, *eol;

	while (p < end) {
		if (*p == '\n') {
			p++;
			break;
		}
		if (*p == '\r' && p + 1 < end && p[1] == '\n') {
			p += 2;
			break;
		}
		start = p;
		for (;;) {
			eol = memchr(p, '\n', (size_t)(end - p));
			p = eol ? eol + 1 : end;
			if (p >= end || (*p != ' ' && *p != '\t'))
				break;
		}
		if (dkim_header_field(m, start, (size_t)(p - start)) != DKIM_OK)
			return DKIM_ERR;
	}
	if (dkim_eoh(m) != DKIM_OK)
		return DKIM_ERR;
	while (p < end) {
		size_t n = (size_t)(end - p);

		if (chunk && n > chunk)
			n = chunk;
		if (dkim_body(m, p, n) != DKIM_OK)
			return DKIM_ERR;
		p += n;
	}
	return dkim_eom(m);
}

/* A records file loaded in memory, as a key source. */
struct records {
	size_t	n;
	char	*name[64];
	char	*value[64];
	int	fail[64];	/* 0, or a dkim_dns_status to return */
};

/* records_add - one more record (copied) */
static void
records_add(struct records *r, const char *name, const char *value,
    int fail)
{
	if (r->n == 64)
		return;
	r->name[r->n] = strdup(name);
	r->value[r->n] = strdup(value);
	r->fail[r->n] = fail;
	r->n++;
}

/* records_load - add every "NAME VALUE" line of a file */
static int
records_load(struct records *r, const char *path)
{
	char *buf = slurp(path, NULL), *line, *save = NULL, *sp;

	if (buf == NULL)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#' || (sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		records_add(r, line, sp + 1, 0);
	}
	free(buf);
	return 0;
}

/*
 * records_publish - key's record at sel._domainkey.domain; the latest
 * record of a name wins
 */
static inline void
records_publish(struct records *r, dkim_key *key, const char *sel,
    const char *domain)
{
	char name[256], *txt = dkim_key_public_record(key);

	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, domain);
	if (txt)
		records_add(r, name, txt, 0);
	free(txt);
}

/* records_free - forget every record */
static void
records_free(struct records *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->name[i]);
		free(r->value[i]);
	}
	r->n = 0;
}

/* records_source - a dkim_keysource_fn over a struct records */
static enum dkim_dns_status
records_source(void *arg, const char *qname, char **txt, char *reason,
    size_t reasonlen)
{
	struct records *r = arg;
	size_t i;

	for (i = r->n; i-- > 0;) {
		if (strcasecmp(r->name[i], qname) != 0)
			continue;
		if (r->fail[i]) {
			snprintf(reason, reasonlen, "injected failure");
			return (enum dkim_dns_status)r->fail[i];
		}
		*txt = strdup(r->value[i]);
		return DKIM_DNS_OK;
	}
	snprintf(reason, reasonlen, "no such name");
	return DKIM_DNS_NOKEY;
}

/*
 * signed_copy - msg (CRLF, header and body) with one DKIM-Signature made
 * by key for domain and sel put on top (malloc), or NULL; inline, so
 * that programs that do not use it are not warned
 */
static inline char *
signed_copy(dkim_ctx *ctx, dkim_key *key, const char *domain,
    const char *sel, const char *msg)
{
	struct dkim_signspec sp = { 0 };
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_SIGN);
	char *out = NULL;
	const char *v;
	size_t len;

	sp.domain = domain;
	sp.selector = sel;
	sp.key = key;
	if (m && dkim_msg_add_signer(m, &sp) == DKIM_OK &&
	    feed(m, msg, strlen(msg), 0) == DKIM_OK &&
	    (v = dkim_sig_header(m, 0)) != NULL) {
		len = strlen(v) + strlen(msg) + 32;
		if ((out = malloc(len)) != NULL)
			snprintf(out, len, "DKIM-Signature:%s\r\n%s", v, msg);
	}
	dkim_msg_free(m);
	return out;
}

/*
 * new_key - a fresh dkim_key of the given OpenSSL type ("RSA", 1024
 * bits, or "ED25519"); inline, so that programs that do not use it are
 * not warned
 */
static inline dkim_key *
new_key(const char *type)
{
	EVP_PKEY *pk = strcmp(type, "RSA") == 0 ?
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024) :
	    EVP_PKEY_Q_keygen(NULL, NULL, type);
	BIO *bio = BIO_new(BIO_s_mem());
	dkim_key *key = NULL;
	char *pem, err[128];
	long n;

	if (pk && bio && PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0,
	    NULL, NULL) == 1 && (n = BIO_get_mem_data(bio, &pem)) > 0)
		key = dkim_key_load_pem(pem, (size_t)n, err, sizeof(err));
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return key;
}

/* fixed_clock - a dkim_ctx clock that returns *(time_t *)arg */
static time_t
fixed_clock(void *arg)
{
	return *(time_t *)arg;
}

#endif /* MSGUTIL_H */
