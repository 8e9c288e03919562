/*
 * fuzz_dbname.c - libFuzzer target: database table names and From
 *	addresses as lookup keys (db.c)
 *
 * The input, up to its first NUL, is a KeyTable/SigningTable name. It
 * is shown (db_redact()) and opened (db_open(), which parses it and
 * reads a password_file but connects to nothing); the open handle's
 * label is taken. Checked: the shown form is terminated and never
 * longer than the name plus ":***", and when the name carries a
 * password (between the first ':' after "://" and the last '@' before
 * '?') that appears nowhere else in the name, neither the shown form,
 * the label nor db_open()'s error contains it, unless they also contain
 * it when the password's letters and digits are changed (the password
 * is then part of the fixed text, as "stgresql://" is of "not a
 * database name (..., postgresql://)"). The input is also a From
 * address for db_addr_ok().
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* password - the password part of name into pw ("" for none) */
static void
password(const char *name, char *pw, size_t size, size_t *at, size_t *len)
{
	const char *auth = strstr(name, "://"), *end, *a, *c;

	pw[0] = '\0';
	*at = *len = 0;
	if (auth == NULL || strncmp(name, "sqlite:", 7) == 0)
		return;
	end = name + strcspn(name, "?");
	if (auth > end)
		return;			/* shown only up to the '?' */
	auth += 3;
	for (a = end; a > auth && a[-1] != '@'; a--)
		;
	if (a == auth)
		return;
	if ((c = memchr(auth, ':', (size_t)(a - 1 - auth))) == NULL)
		return;
	*at = (size_t)(c + 1 - name);
	*len = (size_t)(a - 1 - (c + 1));
	if (*len + 1 <= size) {
		memcpy(pw, c + 1, *len);
		pw[*len] = '\0';
	}
}

/* elsewhere - 1 when pw occurs in name outside [at, at + len) */
static int
elsewhere(const char *name, const char *pw, size_t at, size_t len)
{
	const char *p;

	for (p = strstr(name, pw); p != NULL; p = strstr(p + 1, pw))
		if ((size_t)(p - name) != at)
			return 1;
	(void)len;
	return 0;
}

/*
 * shows - 1 when what db_redact() and db_open() say of name holds pw;
 * with alter, the password's letters and digits are changed first
 */
static int
shows(const char *name, const char *pw, size_t at, size_t len, int alter)
{
	char	 copy[601], shown[1024], err[256];
	struct db *db;
	size_t	 i;
	int	 r;

	snprintf(copy, sizeof(copy), "%s", name);
	for (i = at; alter && i < at + len && copy[i] != '\0'; i++)
		if (copy[i] >= '0' && copy[i] <= '9')
			copy[i] = copy[i] == '7' ? '8' : '7';
		else if ((copy[i] | 0x20) >= 'a' && (copy[i] | 0x20) <= 'z')
			copy[i] = (copy[i] | 0x20) == 'q' ? 'Z' : 'q';
	db_redact(copy, shown, sizeof(shown));
	err[0] = '\0';
	db = db_open(copy, 0, (uid_t)-1, err, sizeof(err));
	r = strstr(shown, pw) != NULL || strstr(err, pw) != NULL ||
	    (db != NULL && strstr(db_label(db), pw) != NULL);
	db_close(db);
	return r;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char	*name, shown[1024], pw[512];
	size_t	at, len;

	if (size > 600 || (name = malloc(size + 1)) == NULL)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	(void)db_addr_ok(name);
	db_redact(name, shown, sizeof(shown));
	if (strlen(shown) > strlen(name) + 4)
		abort();
	password(name, pw, sizeof(pw), &at, &len);
	if (strlen(pw) < 3 || elsewhere(name, pw, at, len))
		(void)shows(name, "", 0, 0, 0);	/* opened all the same */
	else if (shows(name, pw, at, len, 0) && !shows(name, pw, at, len, 1))
		abort();		/* a password shown */
	free(name);
	return 0;
}
