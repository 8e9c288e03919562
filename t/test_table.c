/*
 * test_table.c - SigningTable lookups, wildcards, key file safety (table.c),
 * and key paths with '%' read per From domain (keypct.c)
 *
 * The KeyTable of the lookups is built by hand, without keys: they only
 * need its names. The '%' tests write real keys to a temporary folder.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keypct.h"
#include "keyread.h"
#include "tap.h"
#include "table.h"

#ifndef DATA
#define DATA "t/data/milter"
#endif

static char lastmsg[512];
static int nreports;
static char pdir[] = "/tmp/test_table.XXXXXX";

/* report - remember the last problem reported */
static void
report(void *arg, int warn, const char *msg)
{
	(void)arg;
	(void)warn;
	nreports++;
	snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
}

static const char *names[] = {
	"k_star", "k_user_star", "k_dot_com", "k_dot_example",
	"k_user_dot_com", "k_user_dot_example", "k_host", "k_exact"
};

/* fake_keys - a KeyTable with the names above, domain "%" for k_exact */
static struct table *
fake_keys(void)
{
	struct table *t = calloc(1, sizeof(*t));
	size_t	i, n = sizeof(names) / sizeof(names[0]);

	t->is_keys = 1;
	t->file = strdup("fake");
	t->keys = calloc(n, sizeof(*t->keys));
	t->n = n;
	for (i = 0; i < n; i++) {
		t->keys[i].name = strdup(names[i]);
		t->keys[i].domain = strdup(i == 7 ? "%" : "example.com");
		t->keys[i].selector = strdup(names[i]);
		t->keys[i].keypath = strdup("/dev/null");
	}
	return t;
}

/* order - the key names table_signers() gives for addr, joined by ' ' */
static const char *
order(const struct table *st, const char *addr, int multiple)
{
	static char buf[512];
	struct signer s[16];
	size_t	i, n, o = 0;

	n = table_signers(st, addr, s, 16, multiple);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i ? " " : "", s[i].key->name);
	return buf;
}

static void
test_wildmatch(void)
{
	ok(table_wildmatch("*@example.com", "user@example.com"),
	    "wildcard: *@example.com matches user@example.com");
	ok(table_wildmatch("*@EXAMPLE.com", "User@example.COM"),
	    "wildcard: matching ignores case");
	ok(!table_wildmatch("*@example.com", "user@example.com.evil"),
	    "wildcard: no match past the end of the pattern");
	ok(table_wildmatch("*@*.example.com", "a@b.c.example.com"),
	    "wildcard: two stars, several labels");
	ok(!table_wildmatch("*@*.example.com", "a@example.com"),
	    "wildcard: *.example.com does not match example.com itself");
	ok(table_wildmatch("*", ""), "wildcard: * matches the empty string");
	ok(!table_wildmatch("a?c", "abc"), "wildcard: ? is a literal, not a wildcard");
}

static void
test_file_order(void)
{
	struct table *kt = fake_keys(), *st;

	st = table_load_signing("file:" DATA "/signing.file", report, NULL);
	ok(st != NULL && !st->wildcard, "file: SigningTable loads");
	if (st == NULL)
		return;
	is_int(table_link(st, kt, report, NULL), 0, "file: every key name is in the KeyTable");
	is_str(order(st, "user@foo.example.com", 1),
	    "k_exact k_host k_user_dot_example k_user_dot_com k_dot_example "
	    "k_dot_com k_user_star k_star",
	    "file: lookup order user@host, host, user@.parents, .parents, user@*, * (opendkim.conf(5))");
	is_str(order(st, "user@foo.example.com", 0), "k_exact",
	    "file: without MultipleSignatures only the first match counts");
	is_str(order(st, "USER@Foo.Example.COM", 0), "k_exact",
	    "file: the From address is compared without case");
	is_str(order(st, "other@bar.example.com", 1), "k_dot_example k_dot_com k_star",
	    "file: another user in another subdomain gets the .parent and * entries");
	is_str(order(st, "no-at-sign", 1), "", "file: an address without @ matches nothing");
	table_free(st);
	table_free(kt);
}

static void
test_refile(void)
{
	struct table *kt = fake_keys(), *st;
	struct signer s[4];
	size_t	n;

	st = table_load_signing("refile:" DATA "/signing.refile", report, NULL);
	ok(st != NULL && st->wildcard, "refile: SigningTable loads as wildcards");
	if (st == NULL)
		return;
	table_link(st, kt, report, NULL);
	is_str(order(st, "a@example.com", 1), "k_exact k_star",
	    "refile: every matching pattern, in file order");
	is_str(order(st, "a@x.example.com", 0), "k_host",
	    "refile: first match only without MultipleSignatures");
	n = table_signers(st, "a@example.com", s, 4, 0);
	ok(n == 1 && strcmp(s[0].domain, "example.com") == 0,
	    "refile: '%' domain of the KeyTable becomes the From domain");
	table_free(st);

	st = table_load_signing(DATA "/signing.file", report, NULL);
	table_link(st, kt, report, NULL);
	n = table_signers(st, "user@foo.example.com", s, 4, 0);
	ok(n == 1 && strcmp(s[0].identity, "foo.example.com-signer@foo.example.com")
	    == 0, "identity: each '%' in the third field becomes the From domain");
	ok(n == 1 && strcmp(s[0].domain, "foo.example.com") == 0,
	    "identity: d= from '%' is the From domain");
	table_free(st);
	table_free(kt);
}

static void
test_errors(void)
{
	struct table *st, *kt = fake_keys();

	nreports = 0;
	st = table_load_signing(DATA "/signing.nokey", report, NULL);
	ok(st == NULL, "errors: a pattern without key name fails the table");
	ok(strstr(lastmsg, "signing.nokey:3: pattern \"*@example.net\" has no key name")
	    != NULL, "errors: the problem names file and line");
	st = table_load_signing("refile:" DATA "/signing.refile", report, NULL);
	free(kt->keys[7].name);
	kt->keys[7].name = strdup("renamed");
	ok(table_link(st, kt, report, NULL) == 1 &&
	    strstr(lastmsg, "signing.refile:2: key name \"k_exact\" is not in the KeyTable"),
	    "errors: an unknown key name is reported with file and line");
	table_free(st);
	table_free(kt);
	ok(table_load_signing("/nonexistent/table", report, NULL) == NULL &&
	    strstr(lastmsg, "cannot open") != NULL,
	    "errors: a missing table is an error, not an empty table");
	ok(table_load_keys("refile:/x", (uid_t)-1, report, NULL) == NULL,
	    "errors: a KeyTable cannot be a refile:");
}

static void
test_safe(void)
{
	char	path[] = "/tmp/test_table.XXXXXX", why[256];
	int	fd = mkstemp(path);

	fchmod(fd, 0600);
	ok(table_key_safe(path, geteuid(), why, sizeof(why)) == 0,
	    "safe keys: mode 0600, owned by us, is safe");
	fchmod(fd, 0640);
	ok(table_key_safe(path, geteuid(), why, sizeof(why)) < 0 &&
	    strstr(why, "0640") != NULL, "safe keys: group-readable is refused");
	fchmod(fd, 0604);
	ok(table_key_safe(path, geteuid(), why, sizeof(why)) < 0,
	    "safe keys: readable by others is refused");
	ok(table_key_safe(path, (uid_t)-1, why, sizeof(why)) == 0,
	    "safe keys: no check when RequireSafeKeys is off");
	ok(table_key_safe("/", geteuid(), why, sizeof(why)) < 0,
	    "safe keys: a directory is not a key file");
	close(fd);
	unlink(path);
}

/* in_pdir - DIR/rel in one of two static buffers, used in turn */
static const char *
in_pdir(const char *rel)
{
	static char path[2][256];
	static int i;

	i = !i;
	snprintf(path[i], sizeof(path[i]), "%s/%s", pdir, rel);
	return path[i];
}

/* put_key - a new key in DIR/domain/k.private with the given mode */
static int
put_key(const char *domain, int rsa_bits, mode_t mode)
{
	char	path[256];
	EVP_PKEY *k;
	FILE	*f;
	int	ok;

	snprintf(path, sizeof(path), "%s/%s", pdir, domain);
	(void)mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/k.private", pdir, domain);
	k = rsa_bits ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits) :
	    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (k == NULL || (f = fopen(path, "w")) == NULL)
		return -1;
	ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(k);
	return ok == 1 && chmod(path, mode) == 0 ? 0 : -1;
}

/* put_file - write text to DIR/name; its path in a static buffer */
static const char *
put_file(const char *name, const char *text)
{
	static char path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", pdir, name);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_pct_names(void)
{
	char	buf[64];

	ok(keypct_domain_ok("a.example") && keypct_domain_ok("x-1.b_c.org"),
	    "domain: letters, digits, '-', '_' and dots go into a path");
	ok(!keypct_domain_ok("") && !keypct_domain_ok(".a") &&
	    !keypct_domain_ok("a..b") && !keypct_domain_ok("a.") &&
	    !keypct_domain_ok(".."), "domain: no empty label, no \"..\"");
	ok(!keypct_domain_ok("a/b") && !keypct_domain_ok("a\\b") &&
	    !keypct_domain_ok("a b") && !keypct_domain_ok("a%b"),
	    "domain: nothing else (no '/')");
	ok(keypct_path("/k/%/%.key", "d.ex", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/k/d.ex/d.ex.key") == 0, "path: every '%' replaced");
	ok(keypct_path("/k/%", "0123456789.example", buf, 12) < 0,
	    "path: too long for the buffer is an error");
}

static void
test_pct(void)
{
	struct signer out[2];
	struct table *kt, *st;
	const struct keytab_entry *first;
	const char *p;
	char	line[512];
	size_t	n, nbad;

	ok(put_key("a.example", 0, 0600) == 0 &&
	    put_key("b.example", 0, 0600) == 0 &&
	    put_key("open.example", 0, 0644) == 0 &&
	    put_key("short.example", 1024, 0600) == 0, "keys written");
	snprintf(line, sizeof(line), "kp %%:sel:%s/%%/k.private\n", pdir);
	p = put_file("keys.table", line);
	kt = table_load_keys(p, geteuid(), report, NULL);
	ok(kt != NULL && kt->n == 1 && kt->keys[0].pct != NULL &&
	    kt->keys[0].key == NULL, "a '%' key path loads no key at start");
	p = put_file("signing.table", "* kp\n");
	st = table_load_signing(p, report, NULL);
	ok(st != NULL && kt != NULL && table_link(st, kt, report, NULL) == 0,
	    "the SigningTable links to it");
	if (st == NULL || kt == NULL)
		return;
	keypct_set_report(report, NULL);
	keypct_set_minbits(kt->keys[0].pct, 2048);

	n = table_signers(st, "user@a.example", out, 2, 0);
	ok(n == 1 && strcmp(out[0].domain, "a.example") == 0 &&
	    out[0].key->key != NULL &&
	    strstr(out[0].key->keypath, "/a.example/k.private") != NULL &&
	    strcmp(out[0].key->selector, "sel") == 0,
	    "a.example signs with DIR/a.example/k.private, s=sel");
	first = n == 1 ? out[0].key : NULL;
	n = table_signers(st, "other@A.Example", out, 2, 0);
	ok(n == 1 && out[0].key == first,
	    "the second message of a.example reuses the key read once");
	n = table_signers(st, "user@b.example", out, 2, 0);
	ok(n == 1 && out[0].key != first && out[0].key->key != NULL &&
	    strcmp(out[0].domain, "b.example") == 0, "b.example has its own");

	nreports = 0;
	n = table_signers(st, "user@c.example", out, 2, 0);
	ok(n == 0 && nreports == 1 && strstr(lastmsg, "c.example") != NULL &&
	    strstr(lastmsg, "No such file") != NULL,
	    "no key file: no signer, and the reason is reported");
	n = table_signers(st, "user@c.example", out, 2, 0);
	ok(n == 0 && nreports == 1,
	    "... once: the next message is not reported again");
	n = table_signers(st, "user@open.example", out, 2, 0);
	ok(n == 0 && strstr(lastmsg, "0644") != NULL,
	    "a key file others may read is refused (RequireSafeKeys)");
	n = table_signers(st, "user@short.example", out, 2, 0);
	ok(n == 0 && strstr(lastmsg, "below MinimumKeyBits") != NULL,
	    "an RSA key under MinimumKeyBits is refused");
	(void)mkdir(in_pdir("evil.example"), 0700);
	(void)symlink(in_pdir("a.example/k.private"),
	    in_pdir("evil.example/k.private"));
	n = table_signers(st, "user@evil.example", out, 2, 0);
	ok(n == 0 && strstr(lastmsg, "evil.example") != NULL &&
	    strstr(lastmsg, "symbolic link") != NULL,
	    "a tenant's folder with a link to a.example's key: refused, "
	    "with the reason");
	n = table_signers(st, "user@..", out, 2, 0);
	ok(n == 0, "a From domain that cannot name a file signs nothing");
	keypct_count(kt->keys[0].pct, &n, &nbad);
	is_int((int)n, 6, "six domains kept");
	is_int((int)nbad, 4, "... four of them without a key");
	keypct_set_report(NULL, NULL);
	table_free(st);
	table_free(kt);
}

/* read_why - table_key_read() of DIR/rel: 1 when it loads, else 0, why */
static int
read_why(const char *rel, uid_t safe_uid, char *why, size_t whylen)
{
	dkim_key *k;

	why[0] = '\0';
	if ((k = table_key_read(in_pdir(rel), safe_uid, why, whylen)) == NULL)
		return 0;
	dkim_key_free(k);
	return 1;
}

/*
 * test_key_read - the attacks on a key file that one open and fstat()
 * of the descriptor stop: links planted in the key's place, folders
 * that someone else may write, FIFOs and oversized files
 */
static void
test_key_read(void)
{
	char	why[256], big[1024];
	FILE	*f;
	int	i;

	ok(put_key("r.example", 0, 0600) == 0, "key read: a key written");
	ok(read_why("r.example/k.private", geteuid(), why, sizeof(why)),
	    "key read: mode 0600 in a folder only its owner writes: loads");
	(void)mkdir(in_pdir("tenant.example"), 0700);
	(void)symlink(in_pdir("r.example/k.private"),
	    in_pdir("tenant.example/k.private"));
	ok(!read_why("tenant.example/k.private", geteuid(), why, sizeof(why))
	    && strstr(why, "symbolic link") != NULL,
	    "key read: a link to another domain's key is refused, not "
	    "followed");
	ok(!read_why("tenant.example/k.private", (uid_t)-1, why, sizeof(why))
	    && strstr(why, "symbolic link") != NULL,
	    "key read: ... also with RequireSafeKeys off");
	(void)symlink(in_pdir("r.example"), in_pdir("linked.example"));
	ok(!read_why("linked.example/k.private", geteuid(), why, sizeof(why))
	    && strstr(why, "folder is a symbolic link") != NULL,
	    "key read: a folder that is a link to another domain's folder is "
	    "refused");
	chmod(in_pdir("r.example"), 0777);
	ok(!read_why("r.example/k.private", geteuid(), why, sizeof(why)) &&
	    strstr(why, "folder may be written by group or others (mode 0777)")
	    != NULL, "key read: a folder others may write is refused, and "
	    "says why");
	chmod(in_pdir("r.example"), 0770);
	ok(!read_why("r.example/k.private", geteuid(), why, sizeof(why)) &&
	    strstr(why, "0770") != NULL,
	    "key read: a folder its group may write is refused");
	ok(read_why("r.example/k.private", (uid_t)-1, why, sizeof(why)),
	    "key read: ... unless RequireSafeKeys is off");
	chmod(in_pdir("r.example"), 0700);
	if (geteuid() == 0) {
		(void)chown(in_pdir("r.example"), 65534, 65534);
		ok(!read_why("r.example/k.private", 0, why, sizeof(why)) &&
		    strstr(why, "its folder is owned by uid 65534") != NULL,
		    "key read: a folder that another user owns is refused");
		(void)chown(in_pdir("r.example"), 0, 0);
	}
	chmod(in_pdir("r.example/k.private"), 0640);
	ok(!read_why("r.example/k.private", geteuid(), why, sizeof(why)) &&
	    strstr(why, "unsafe permissions 0640") != NULL,
	    "key read: a key its group may read is refused");
	chmod(in_pdir("r.example/k.private"), 0600);
	ok(mkfifo(in_pdir("r.example/fifo"), 0600) == 0 &&
	    !read_why("r.example/fifo", geteuid(), why, sizeof(why)) &&
	    strstr(why, "not a regular file") != NULL,
	    "key read: a FIFO is refused without blocking the open");
	memset(big, 'A', sizeof(big));
	if ((f = fopen(in_pdir("r.example/big"), "w")) != NULL) {
		for (i = 0; i < 70; i++)
			fwrite(big, 1, sizeof(big), f);
		fclose(f);
	}
	chmod(in_pdir("r.example/big"), 0600);
	ok(!read_why("r.example/big", geteuid(), why, sizeof(why)) &&
	    strstr(why, "over 65536 bytes") != NULL,
	    "key read: a file over 64 KB is refused without reading it all");
	ok(!read_why("nosuch.example/k.private", geteuid(), why, sizeof(why))
	    && strstr(why, "No such file") != NULL,
	    "key read: a missing folder says so");
}

/*
 * test_key_race - a process swaps the key file between a key of its
 * folder's own (Ed25519) and a link to another domain's key (RSA), by
 * rename(), as fast as it can, while the key is read again and again:
 * what one open checks is what it reads, so the RSA key never comes
 * back. The old way, stat() then open by name, is run the same way for
 * comparison (a TAP comment: how often the race won there).
 */
static void
test_key_race(void)
{
	char	why[256];
	dkim_key *k;
	pid_t	pid;
	int	i, own = 0, refused = 0, stolen = 0, old_stolen = 0, st;

	if (put_key("victim.example", 2048, 0600) < 0 ||
	    put_key("race.example", 0, 0600) < 0) {
		ok(0, "race: keys written");
		return;
	}
	(void)rename(in_pdir("race.example/k.private"),
	    in_pdir("race.example/own"));
	if ((pid = fork()) == 0) {
		for (i = 0; i < 2000000; i++) {
			(void)link(in_pdir("race.example/own"),
			    in_pdir("race.example/tmp"));
			(void)rename(in_pdir("race.example/tmp"),
			    in_pdir("race.example/k.private"));
			(void)symlink(in_pdir("victim.example/k.private"),
			    in_pdir("race.example/tmp"));
			(void)rename(in_pdir("race.example/tmp"),
			    in_pdir("race.example/k.private"));
		}
		_exit(0);
	}
	/* 1,000 reads, and more (up to 100,000) until both states were
	 * seen: on a loaded machine the swapper may sleep through 1,000 */
	for (i = 0; i < 1000 || ((own == 0 || refused == 0) && i < 100000);
	    i++) {
		k = table_key_read(in_pdir("race.example/k.private"),
		    geteuid(), why, sizeof(why));
		if (k == NULL)
			refused++;
		else if (dkim_key_alg(k) == DKIM_ALG_RSA_SHA256)
			stolen++;
		else
			own++;
		dkim_key_free(k);
		if (table_key_safe(in_pdir("race.example/k.private"),
		    geteuid(), why, sizeof(why)) == 0 &&
		    (k = dkim_key_load_file(in_pdir("race.example/k.private"),
		    why, sizeof(why))) != NULL) {
			old_stolen += dkim_key_alg(k) == DKIM_ALG_RSA_SHA256;
			dkim_key_free(k);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	printf("# race: %d reads: %d its own key, %d refused (a link), %d "
	    "the other key; stat() then open: the other key %d times\n", i,
	    own, refused, stolen, old_stolen);
	ok(stolen == 0 && own > 0 && refused > 0, "race: a key file swapped "
	    "with a link to another key while it is read never yields the "
	    "other key");
}

/*
 * test_pct_deep - a '%' path with folders below the domain's: a link
 * anywhere from the domain's folder down is refused, not only in the
 * key's own folder
 */
static void
test_pct_deep(void)
{
	struct signer out[2];
	struct table *kt, *st;
	char	line[512], why[256];
	const char *p;
	dkim_key *k;
	FILE	*f;
	size_t	n;

	(void)mkdir(in_pdir("deep"), 0700);
	(void)mkdir(in_pdir("deep/v.example"), 0700);
	(void)mkdir(in_pdir("deep/v.example/a"), 0700);
	(void)mkdir(in_pdir("deep/v.example/a/b"), 0700);
	(void)mkdir(in_pdir("deep/t.example"), 0700);
	(void)symlink(in_pdir("deep/v.example/a"), in_pdir("deep/t.example/a"));
	(void)put_key("v.example", 0, 0600);
	(void)rename(in_pdir("v.example/k.private"),
	    in_pdir("deep/v.example/a/b/k.private"));
	snprintf(line, sizeof(line), "kd %%:sel:%s/deep/%%/a/b/k.private\n",
	    pdir);
	p = put_file("deep.table", line);
	kt = table_load_keys(p, geteuid(), report, NULL);
	if ((f = fopen(in_pdir("deep.signing"), "w")) != NULL) {
		fputs("* kd\n", f);
		fclose(f);
	}
	st = table_load_signing(in_pdir("deep.signing"), report, NULL);
	if (kt == NULL || st == NULL || table_link(st, kt, report, NULL) != 0) {
		ok(0, "deep '%' path: the tables load");
		table_free(st);
		table_free(kt);
		return;
	}
	keypct_set_report(report, NULL);
	n = table_signers(st, "u@v.example", out, 2, 0);
	ok(n == 1 && out[0].key->key != NULL,
	    "deep '%' path: DIR/v.example/a/b/k.private signs v.example");
	n = table_signers(st, "u@t.example", out, 2, 0);
	ok(n == 0 && strstr(lastmsg, "folder \"a\" on its path is a symbolic link") != NULL,
	    "deep '%' path: t.example's folder a, a link to v.example's, is "
	    "refused though b and the key are v.example's own");
	keypct_set_report(NULL, NULL);
	k = table_key_read(in_pdir("deep/t.example/a/b/k.private"), geteuid(),
	    why, sizeof(why));
	ok(k != NULL, "a plain key path follows links above its own folder "
	    "(the administrator's): only '%' paths are walked");
	dkim_key_free(k);
	table_free(st);
	table_free(kt);
}

/* der64 - a new key's DER form in base64, malloc()ed */
static char *
der64(int rsa_bits)
{
	EVP_PKEY *k = rsa_bits ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)rsa_bits) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char *der = NULL;
	char	*out = NULL;
	int	n;

	if (k != NULL && (n = i2d_PrivateKey(k, &der)) > 0 &&
	    (out = malloc((size_t)n * 2 + 4)) != NULL)
		EVP_EncodeBlock((unsigned char *)out, der, n);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return out;
}

static void
test_inline(void)
{
	char	line[4096], path[256], *ed = der64(0), *rsa = der64(2048);
	struct table *kt;
	const char *p;

	snprintf(line, sizeof(line), "ed example.com:ed:%s\n"
	    "rsa example.com:rsa:%s\n", ed ? ed : "", rsa ? rsa : "");
	p = put_file("inline.table", line);
	snprintf(path, sizeof(path), "%s", p);
	chmod(path, 0600);
	kt = table_load_keys(path, geteuid(), report, NULL);
	ok(kt != NULL && kt->n == 2 && kt->keys[0].key != NULL &&
	    dkim_key_alg(kt->keys[0].key) == DKIM_ALG_ED25519_SHA256 &&
	    dkim_key_alg(kt->keys[1].key) == DKIM_ALG_RSA_SHA256 &&
	    dkim_key_bits(kt->keys[1].key) == 2048,
	    "inline: base64 DER keys (Ed25519 PKCS#8, RSA) in the KeyTable");
	ok(kt != NULL && strcmp(kt->keys[0].keypath, "(inline)") == 0,
	    "inline: the key text is not kept as a path");
	table_free(kt);
	chmod(path, 0644);
	kt = table_load_keys(path, geteuid(), report, NULL);
	ok(kt == NULL && strstr(lastmsg, "inline, and the table is not safe") !=
	    NULL && strstr(lastmsg, "0644") != NULL,
	    "inline: a table others may read cannot hold a key");
	ok((kt = table_load_keys(path, (uid_t)-1, report, NULL)) != NULL,
	    "inline: ... unless RequireSafeKeys is off");
	table_free(kt);
	p = put_file("bad.table", "k example.com:s:keys/k.private\n"
	    "p example.com:s:-----BEGIN PRIVATE KEY-----\n");
	snprintf(path, sizeof(path), "%s", p);
	chmod(path, 0600);
	nreports = 0;
	ok(table_load_keys(path, geteuid(), report, NULL) == NULL &&
	    nreports == 2, "inline: a relative path and a PEM line fail");
	ok(strstr(lastmsg, "a PEM key goes in a file of its own") != NULL,
	    "inline: ... a PEM line says where it belongs");
	p = put_file("bad2.table", "k example.com:s:keys/k.private\n");
	snprintf(path, sizeof(path), "%s", p);
	chmod(path, 0600);
	ok(table_load_keys(path, geteuid(), report, NULL) == NULL &&
	    strstr(lastmsg, "neither a key file path (/, ./ or ../) nor a key "
	    "inline") != NULL, "inline: a path without / is neither");
	free(ed);
	free(rsa);
}

int
main(void)
{
	int	w;

	plan_lazy();
	test_wildmatch();
	test_file_order();
	test_refile();
	test_errors();
	test_safe();
	if (mkdtemp(pdir) != NULL) {
		char	cmd[128];

		test_pct_names();
		test_pct();
		test_inline();
		test_key_read();
		test_key_race();
		test_pct_deep();
		snprintf(cmd, sizeof(cmd), "rm -rf %s", pdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", pdir);
	} else
		ok(0, "a temporary folder for the '%' keys");
	is_str(table_spec("refile:/a", &w), "/a", "spec: refile: prefix stripped");
	ok(w == 1, "spec: refile: is a wildcard table");
	is_str(table_spec("/b", &w), "/b", "spec: a bare path is a file: table");
	ok(w == 0, "spec: file: is exact");
	return done_testing();
}
