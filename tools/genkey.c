/*
 * genkey.c - dkimtool genkey: make a signing key and its DNS record
 *
 * SYNOPSIS
 *	dkimtool genkey -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS]
 *		[-D DIR] [-f]
 *
 * CONTRACT
 *	Generates an RSA (default 2048 bits, 1024..4096; RFC 8301 §3.2
 *	forbids shorter) or Ed25519 (RFC 8463) key with OpenSSL, writes it
 *	as PKCS#8 PEM to DIR/SELECTOR.private, created with mode 0600 and
 *	O_EXCL so that an existing key is never replaced unless -f is given,
 *	then reads it back through the engine (dkim_key_load_file) and writes
 *	the record the engine makes for it, in zone-file form with strings
 *	of at most 255 bytes (RFC 1035 §3.3.14), to DIR/SELECTOR.txt and to
 *	stdout. The private key bytes are wiped from memory after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim.h"
#include "tool.h"

#define GENKEY_RSA_MIN		1024
#define GENKEY_RSA_MAX		4096
#define GENKEY_RSA_DEFAULT	2048
#define GENKEY_TXT_STRING	255	/* bytes in one character-string */
#define GENKEY_TTL		3600

/*
 * genkey_write - write len bytes of data to a new file path with mode;
 * an existing file is an error unless force. Returns 0, or -1 after
 * printing why.
 */
static int
genkey_write(const char *path, const char *data, size_t len, mode_t mode,
    int force)
{
	ssize_t	 n;
	int	 fd;

	if (force && unlink(path) < 0 && errno != ENOENT) {
		tool_err("%s: cannot replace: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		if (errno == EEXIST)
			tool_err("%s: exists; use -f to overwrite", path);
		else
			tool_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (len > 0) {
		if ((n = write(fd, data, len)) < 0) {
			if (errno == EINTR)
				continue;
			tool_err("%s: write: %s", path, strerror(errno));
			goto fail;
		}
		data += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		tool_err("%s: %s", path, strerror(errno));
		fd = -1;
		goto fail;
	}
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

/* genkey_strings - write s as quoted strings of at most 255 bytes */
static void
genkey_strings(FILE *out, const char *s, size_t len, int *first)
{
	size_t	 n;

	while (len > 0) {
		n = len > GENKEY_TXT_STRING ? GENKEY_TXT_STRING : len;
		fprintf(out, "%s\"%.*s\"", *first ? " " : "\n\t", (int)n, s);
		*first = 0;
		s += n;
		len -= n;
	}
}

/*
 * tool_zone - the zone-file form of record at SELECTOR._domainkey.
 * DOMAIN, the tags before p= in a string of their own (malloc()ed, NULL
 * when out of memory).
 */
char *
tool_zone(const char *domain, const char *selector, const char *record)
{
	const char *p;
	char	*text = NULL;
	size_t	 textlen = 0;
	FILE	*out;
	int	 first = 1;

	if ((out = open_memstream(&text, &textlen)) == NULL)
		return NULL;
	fprintf(out, "%s._domainkey.%s. %d IN TXT (", selector, domain,
	    GENKEY_TTL);
	p = strstr(record, "; p=");
	if (p != NULL) {
		genkey_strings(out, record, (size_t)(p + 2 - record), &first);
		p += 2;
	} else {
		p = record;
	}
	genkey_strings(out, p, strlen(p), &first);
	fprintf(out, " )\n");
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/*
 * genkey_make - a new key of type alg ("rsa" or "ed25519") as PKCS#8 PEM
 * (malloc()ed, the caller wipes and frees it); NULL after printing why.
 */
char *
genkey_make(const char *alg, unsigned bits, size_t *pemlen)
{
	EVP_PKEY *pkey = NULL;
	BIO	*bio = NULL;
	char	*mem, *pem = NULL;
	long	 n;

	if (strcmp(alg, "rsa") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL) {
		tool_err("cannot generate a %s key", alg);
		goto fail;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) ||
	    (n = BIO_get_mem_data(bio, &mem)) <= 0 ||
	    (pem = malloc((size_t)n)) == NULL) {
		tool_err("cannot encode the %s key", alg);
		goto fail;
	}
	memcpy(pem, mem, (size_t)n);
	*pemlen = (size_t)n;

fail:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return pem;
}

/* genkey_record - load path through the engine; its zone-file record */
static char *
genkey_record(const char *path, const char *domain, const char *selector)
{
	dkim_key *key;
	char	 err[256], *rec, *zone = NULL;

	if ((key = dkim_key_load_file(path, err, sizeof(err))) == NULL) {
		tool_err("%s: %s", path, err);
		return NULL;
	}
	if ((rec = dkim_key_public_record(key)) == NULL)
		tool_err("%s: cannot make the public key record", path);
	else if ((zone = tool_zone(domain, selector, rec)) == NULL)
		tool_err("out of memory");
	free(rec);
	dkim_key_free(key);
	return zone;
}

/* genkey_main - dkimtool genkey */
int
genkey_main(int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *alg = "rsa", *dir = ".";
	char	 keypath[PATH_MAX], txtpath[PATH_MAX];
	char	*pem = NULL, *zone = NULL, *end;
	unsigned long bits = 0;
	size_t	 pemlen = 0;
	int	 c, force = 0, wrote = 0, status = TOOL_EX_FAIL;

	opterr = 0;
	while ((c = getopt(argc, argv, ":a:b:D:d:fs:")) != -1) {
		switch (c) {
		case 'a':
			alg = optarg;
			break;
		case 'b':
			errno = 0;
			bits = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg)
				return tool_usage("-b %s: not a number",
				    optarg);
			break;
		case 'D':
			dir = optarg;
			break;
		case 'd':
			domain = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 's':
			selector = optarg;
			break;
		default:
			return tool_badopt("genkey", c, argv);
		}
	}
	if (optind != argc)
		return tool_usage("genkey: unexpected argument: %s",
		    argv[optind]);
	if (domain == NULL || selector == NULL)
		return tool_usage("genkey needs -d DOMAIN and -s SELECTOR");
	if (!dkim_name_valid(domain))
		return tool_usage("-d %s: not a valid domain name", domain);
	if (!dkim_name_valid(selector))
		return tool_usage("-s %s: not a valid selector", selector);
	if (strcmp(alg, "rsa") == 0) {
		if (bits == 0)
			bits = GENKEY_RSA_DEFAULT;
		if (bits < GENKEY_RSA_MIN || bits > GENKEY_RSA_MAX)
			return tool_usage("-b %lu: RSA keys must have %d to %d "
			    "bits (RFC 8301 forbids fewer than %d)", bits,
			    GENKEY_RSA_MIN, GENKEY_RSA_MAX, GENKEY_RSA_MIN);
	} else if (strcmp(alg, "ed25519") == 0) {
		if (bits != 0 && bits != 256)
			return tool_usage("-b: Ed25519 keys have one size");
	} else {
		return tool_usage("-a %s: use rsa or ed25519", alg);
	}
	if ((size_t)snprintf(keypath, sizeof(keypath), "%s/%s.private", dir,
	    selector) >= sizeof(keypath) ||
	    (size_t)snprintf(txtpath, sizeof(txtpath), "%s/%s.txt", dir,
	    selector) >= sizeof(txtpath))
		return tool_usage("-D %s: path too long", dir);

	if ((pem = genkey_make(alg, (unsigned)bits, &pemlen)) == NULL)
		goto fail;
	if (genkey_write(keypath, pem, pemlen, 0600, force) < 0)
		goto fail;
	wrote = 1;
	if ((zone = genkey_record(keypath, domain, selector)) == NULL)
		goto fail;
	if (genkey_write(txtpath, zone, strlen(zone), 0644, force) < 0)
		goto fail;
	fputs(zone, stdout);
	if (fflush(stdout) != 0) {
		tool_err("stdout: %s", strerror(errno));
		goto fail;
	}
	status = TOOL_EX_OK;

fail:
	if (status != TOOL_EX_OK && wrote)
		unlink(keypath);	/* no key without its record */
	if (pem != NULL)
		OPENSSL_cleanse(pem, pemlen);
	free(pem);
	free(zone);
	return status;
}
