/*
 * migrate.c - dkimtool migrate: an opendkim.conf as a dkimd.conf
 *
 * SYNOPSIS
 *	dkimtool migrate [--no-check] FILE
 *
 * CONTRACT
 *	Reads an OpenDKIM configuration (following Include) and writes a
 *	dkimd.conf on stdout: every keyword dkimd implements with OpenDKIM's
 *	meaning, its value translated where the syntax differs (booleans,
 *	csl: lists, file data sets, Socket forms, On-* values); every other
 *	line kept as a comment; then OpenDKIM's defaults where dkimd's
 *	differ, written out. Tables and keys stay where they are: their
 *	paths are referenced, never copied.
 *
 *	stderr gets one line per keyword of the input, "FILE:LINE: Keyword:
 *	CLASS: what happens", then one per default written out. The class
 *	comes from dkimd's own keyword table (conf_opendkim_get()) at run
 *	time. A line whose change alters what is signed or verified, or
 *	what happens to a message, says "CHANGES MAIL".
 *
 *	Unless --no-check, the result is loaded as dkimd -t would load it
 *	(tables and keys included) and each problem is reported.
 *
 *	Exit: 0 nothing changes mail; 1 something would (or dkimd would
 *	not load the result); 2 usage, unreadable or invalid input (nothing
 *	on stdout then).
 *
 *	Values of keywords that hold secrets (LDAP passwords, dsn: URIs)
 *	are never printed.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "tool.h"
#include "util.h"

#define MIG_DEPTH	8		/* Include: files open at once */
#define MIG_FILES	32		/* Include: files in all */
#define MIG_LISTMAX	(64 * 1024)	/* bytes of a file list inlined */

/* What the input said that changes which of OpenDKIM's defaults apply. */
enum mig_seen {
	SEEN_CANON, SEEN_INTERNAL, SEEN_MTA, SEEN_OVERSIGN, SEEN_ONDEFAULT,
	SEEN_ONDNS, SEEN_ONINTERNAL, SEEN_MAX
};

struct mig {
	FILE	*out;			/* the dkimd.conf, in memory */
	const char *file;		/* the file being read */
	int	depth;
	int	nfiles;
	char	*real[MIG_DEPTH + 1];	/* realpath of each file being read */
	int	changes;		/* lines that change mail */
	int	invalid;		/* lines OpenDKIM would refuse */
	int	seen[SEEN_MAX];
	const char *tmp;		/* the output's name while checked */
};

/*
 * OpenDKIM keywords whose loss changes nothing for mail: the process,
 * logging, diagnostics, reports and caches (opendkim.conf(5)). Any
 * other keyword dkimd does not implement changes mail when set to
 * anything but OpenDKIM's default.
 */
static const char *const mail_neutral[] = {
	"AutoRestart", "AutoRestartCount", "AutoRestartRate", "Background",
	"CaptureUnknownErrors", "DiagnosticDirectory", "DisableCryptoInit",
	"DNSConnect", "EnableCoredumps", "KeepTemporaryFiles", "LogResults",
	"LogWhy", "MilterDebug", "MTACommand", "QueryCache", "ReportAddress",
	"ReportBccAddress", "ResolverTracing", "SMTPURI", "SoftStart",
	"Statistics", "StatisticsName", "StatisticsPrefix", "Syslog",
	"SyslogFacility", "SyslogName", "SyslogSuccess", "TemporaryDirectory",
	"UMask", "PidFile", "UserID", NULL
};

/* OpenDKIM's Boolean keywords (opendkim.conf(5)): false by default. */
static const char *const odk_booleans[] = {
	"AllowSHA1Only", "AlwaysAddARHeader", "AuthservIDWithJobID",
	"AutoRestart", "Background", "CaptureUnknownErrors", "Diagnostics",
	"DisableCryptoInit", "DNSConnect", "FixCRLF", "IdentityHeaderRemove",
	"LDAPDisableCache", "LDAPUseTLS", "MultipleSignatures", "NoHeaderB",
	"QueryCache", "RemoveARAll", "RemoveOldSignatures", "ResolverTracing",
	"SendReports", "SoftStart", "SoftwareHeader", "StrictHeaders",
	"StrictTestMode", "SubDomains", "Syslog", "SyslogSuccess",
	"VBR-TrustedCertifiersOnly", "WeakSyntaxChecks", NULL
};

/* OpenDKIM's data sets that name hosts or addresses (opendkim(8)). */
static const char *const odk_hostsets[] = {
	"InternalHosts", "PeerList", "ExternalIgnoreList", NULL
};

static int mig_line(void *, int, char *);

/* in_list - 1 when name is in the NULL-terminated list (any case) */
static int
in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcasecmp(*list, name) == 0)
			return 1;
	return 0;
}

/*
 * odk_bool - OpenDKIM reads the first byte of a Boolean only
 * (opendkim.conf(5)): 1, 0, or -1 for a value it refuses
 */
static int
odk_bool(const char *v)
{
	if (*v != '\0' && strchr("TtYy1", *v) != NULL)
		return 1;
	if (*v != '\0' && strchr("FfNn0", *v) != NULL)
		return 0;
	return -1;
}

/* secret - 1 when the value must not be printed */
static int
secret(const char *kw, const char *v)
{
	return strcasecmp(kw, "LDAPBindPassword") == 0 ||
	    strncasecmp(v, "dsn:", 4) == 0 || strncasecmp(v, "ldap", 4) == 0;
}

/*
 * report - one line on stderr for the keyword kw of line lineno
 * (0: a default); change counts it as a change for mail
 */
static void __attribute__((format(printf, 6, 7)))
report(struct mig *m, int lineno, const char *kw, const char *cls,
    int change, const char *fmt, ...)
{
	va_list	ap;

	if (lineno > 0)
		fprintf(stderr, "%s:%d: %s: %s%s: ", m->file, lineno, kw, cls,
		    change ? ", CHANGES MAIL" : "");
	else
		fprintf(stderr, "%s: (default) %s: %s%s: ", m->file, kw, cls,
		    change ? ", CHANGES MAIL" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (change)
		m->changes++;
}

/* comment_out - the input line as a comment of the output */
static void
comment_out(struct mig *m, const char *kw, const char *v, const char *why)
{
	fprintf(m->out, "# %s %s\n#\t(%s)\n", kw,
	    secret(kw, v) ? "(value not shown)" : v, why);
}

/*
 * list_entry - one entry of a list file appended to *arg, comma
 * separated; 1 when the list would pass MIG_LISTMAX or memory is short
 */
static int
list_entry(void *arg, int lineno, char *line)
{
	char	**out = arg, *n;
	size_t	 have = *out ? strlen(*out) : 0;

	(void)lineno;
	if (have + strlen(line) + 2 > MIG_LISTMAX)
		return 1;
	if ((n = realloc(*out, have + strlen(line) + 2)) == NULL)
		return 1;
	sprintf(n + have, "%s%s", have ? "," : "", line);
	*out = n;
	return 0;
}

/* report_quiet - drop a problem line (file_list says what went wrong) */
static void
report_quiet(void *arg, int warn, const char *msg)
{
	(void)arg;
	(void)warn;
	(void)msg;
}

/* report_read - a file that cannot be read makes the input invalid */
static void
report_read(void *arg, int warn, const char *msg)
{
	struct mig *m = arg;

	(void)warn;
	fprintf(stderr, "dkimtool: %s\n", msg);
	m->invalid++;
}

/*
 * file_list - the entries of a list file (one a line, '#' comments) as
 * one comma-separated string; NULL when unreadable or too long
 */
static char *
file_list(const char *path)
{
	char	*out = NULL;

	if (util_readlines(path, list_entry, &out, report_quiet, NULL) != 0) {
		free(out);
		return NULL;
	}
	return out != NULL ? out : strdup("");
}

/* is_file_set - a data set named by a path: "file:/p" or "/p" */
static const char *
is_file_set(const char *v)
{
	if (strncmp(v, "file:", 5) == 0)
		return v + 5;
	if (v[0] == '/')
		return v;
	return NULL;
}

/*
 * other_set - a data set of a kind other than a list or a file
 * (opendkim(8) DATA SETS): refile:, db:, dsn:, ldap:, lua:, ...
 */
static int
other_set(const char *v)
{
	static const char *const kinds[] = {
		"refile:", "db:", "dsn:", "ldap:", "ldaps:", "ldapi:", "lua:",
		"memcache:", "redis:", "mdb:", "erlang:", "socket:", NULL
	};
	size_t	i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strncasecmp(v, kinds[i], strlen(kinds[i])) == 0)
			return 1;
	return 0;
}

/*
 * tr_list - a list keyword: csl:a,b and a,b stay a list; a file is read
 * and inlined. NULL (with *why) when dkimd has no form for it.
 */
static char *
tr_list(const char *v, const char **why, int *inlined)
{
	const char *path;
	char	*s;

	*inlined = 0;
	if (strncmp(v, "csl:", 4) == 0)
		return strdup(v + 4);
	if ((path = is_file_set(v)) != NULL) {
		if ((s = file_list(path)) == NULL)
			*why = "the list file cannot be read (or is over 64 KiB)";
		else
			*inlined = 1;
		return s;
	}
	if (other_set(v)) {
		*why = "dkimd reads this list inline only (no refile:, "
		    "database or LDAP list)";
		return NULL;
	}
	return strdup(v);
}

/*
 * tr_macros - MacroList's inline entries without those OpenDKIM could
 * never match: it splits an entry at '=' into a macro name and its
 * values, so "daemon_name|ORIGINATING" (as some guides write it) names
 * a macro no MTA defines. Those go (dkimd refuses such a name), and the
 * report says how to write what was meant. NULL with *why when none is
 * left; *dropped counts what went.
 */
static char *
tr_macros(const char *v, const char **why, int *dropped)
{
	char	*copy, *out, *e, *save = NULL;
	size_t	 len;

	*dropped = 0;
	if (strncmp(v, "csl:", 4) == 0)
		v += 4;
	if ((copy = strdup(v)) == NULL || (out = calloc(1, strlen(v) + 1)) ==
	    NULL) {
		free(copy);
		*why = "out of memory";
		return NULL;
	}
	for (e = strtok_r(copy, ", \t", &save); e != NULL;
	    e = strtok_r(NULL, ", \t", &save)) {
		if (strchr(e, '|') != NULL && strchr(e, '=') == NULL) {
			(*dropped)++;
			continue;
		}
		len = strlen(out);
		snprintf(out + len, strlen(v) + 1 - len, "%s%s", len ? "," : "",
		    e);
	}
	free(copy);
	if (out[0] == '\0') {
		free(out);
		*why = "OpenDKIM reads NAME|VALUE as the name of one macro, "
		    "which no MTA defines, so it never matched (to sign the "
		    "mail of a daemon, write MacroList daemon_name=ORIGINATING)";
		return NULL;
	}
	return out;
}

/* tr_hosts - an address data set: csl: inline, a path as file: */
static char *
tr_hosts(const char *v, const char **why)
{
	const char *path;
	char	*s;

	if (strncmp(v, "csl:", 4) == 0)
		return strdup(v + 4);
	if ((path = is_file_set(v)) != NULL) {
		if ((s = malloc(strlen(path) + 6)) != NULL)
			sprintf(s, "file:%s", path);
		return s;
	}
	if (other_set(v)) {
		*why = "dkimd reads addresses inline or from a file: only";
		return NULL;
	}
	return strdup(v);
}

/* first_word - the name of a table line, for keytable_wild() */
static int
first_word(void *arg, int lineno, char *line)
{
	int	*wild = arg;

	(void)lineno;
	line[strcspn(line, " \t")] = '\0';
	if (strchr(line, '*') != NULL)
		*wild = 1;
	return 0;
}

/*
 * keytable_wild - 1 when a KeyTable file names a key with a wildcard
 * (or cannot be read): dkimd looks KeyTable names up exactly
 */
static int
keytable_wild(const char *path)
{
	int	wild = 0;

	if (util_readlines(path, first_word, &wild, report_quiet, NULL) != 0)
		return 1;
	return wild;
}

/*
 * tr_table - KeyTable/SigningTable: file:, refile: and paths as they
 * are, but a refile: KeyTable whose names hold no '*' as file: (the
 * same lookups; dkimd refuses a refile: KeyTable)
 */
static char *
tr_table(const char *kw, const char *v, const char **why)
{
	char	*s;

	if (strcasecmp(kw, "KeyTable") == 0 && strncmp(v, "refile:", 7) == 0) {
		if (keytable_wild(v + 7)) {
			*why = "a KeyTable name with '*' (or a file that cannot "
			    "be read): dkimd looks KeyTable names up exactly";
			return NULL;
		}
		if ((s = malloc(strlen(v))) != NULL)
			sprintf(s, "file:%s", v + 7);
		return s;
	}
	if (strncmp(v, "file:", 5) == 0 || strncmp(v, "refile:", 7) == 0 ||
	    v[0] == '/')
		return strdup(v);
	*why = "dkimd reads tables from file:, refile:, sqlite:, mysql:// or "
	    "postgresql:// (with its own schema, see dkimtool import), not "
	    "this form";
	return NULL;
}

/*
 * tr_socket - OpenDKIM's socket forms (opendkim.conf(5) Socket) in
 * dkimd's: local:/p and /p are unix:/p; inet:PORT without a host
 * listened on every address in OpenDKIM, in dkimd on loopback only
 */
static char *
tr_socket(struct mig *m, int lineno, const char *v, int *said)
{
	char	*s;

	*said = 1;
	if (strncmp(v, "local:", 6) == 0 || v[0] == '/') {
		if ((s = malloc(strlen(v) + 6)) != NULL)
			sprintf(s, "unix:%s", v[0] == '/' ? v : v + 6);
		if (s != NULL)
			report(m, lineno, "Socket", "implemented", 0, "%s "
			    "written as %s", v, s);
		return s;
	}
	if ((strncmp(v, "inet:", 5) == 0 || strncmp(v, "inet6:", 6) == 0) &&
	    strchr(v, '@') == NULL) {
		report(m, lineno, "Socket", "implemented", 0, "%s: OpenDKIM "
		    "listened on every address, dkimd listens on loopback only "
		    "(an MTA on another host needs PORT@ADDRESS and "
		    "SocketPeers)", v);
		return strdup(v);
	}
	*said = 0;
	return strdup(v);
}

/*
 * tr_action - an On-* value: OpenDKIM's words or their first letters
 * (opendkim.conf(5) On-BadSignature); quarantine has no dkimd action
 */
static const char *
tr_action(const char *v, int *quarantine)
{
	static const char *const acts[] = {
		"accept", "discard", "reject", "tempfail", NULL
	};
	size_t	i;

	*quarantine = strcasecmp(v, "q") == 0 ||
	    strcasecmp(v, "quarantine") == 0;
	for (i = 0; acts[i] != NULL; i++)
		if (strcasecmp(v, acts[i]) == 0 ||
		    (v[0] != '\0' && v[1] == '\0' &&
		    tolower((unsigned char)v[0]) == acts[i][0]))
			return acts[i];
	return NULL;
}

/* keyword_type - dkimd's type of keyword name, NULL if not dkimd's */
static const char *
keyword_type(const char *name, const char **canon)
{
	const struct conf_keyword_info *k;
	size_t	i;

	for (i = 0; (k = conf_keyword_get(i)) != NULL; i++)
		if (strcasecmp(k->name, name) == 0) {
			*canon = k->name;
			return k->type;
		}
	return NULL;
}

/* odk_class - the row of OpenDKIM keyword name in dkimd's table, or NULL */
static const struct conf_opendkim_info *
odk_class(const char *name)
{
	const struct conf_opendkim_info *o;
	size_t	i;

	for (i = 0; (o = conf_opendkim_get(i)) != NULL; i++)
		if (strcasecmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* note_seen - remember keywords that replace one of OpenDKIM's defaults */
static void
note_seen(struct mig *m, const char *kw)
{
	static const char *const names[SEEN_MAX] = {
		"Canonicalization", "InternalHosts", "MTA", "OversignHeaders",
		"On-Default", "On-DNSError", "On-InternalError"
	};
	int	i;

	for (i = 0; i < SEEN_MAX; i++)
		if (strcasecmp(names[i], kw) == 0)
			m->seen[i] = 1;
}

/*
 * translate - the dkimd value of implemented keyword kw (its dkimd type
 * type), or NULL with *why when there is none; *change when that
 * changes mail, *bad when OpenDKIM would refuse the value
 */
static char *
translate(struct mig *m, int lineno, const char *kw, const char *type,
    const char *v, const char **why, int *change, int *bad, int *said)
{
	const char *act;
	char	*s;
	int	b, q, inl;

	*said = 0;
	if (strcmp(type, "boolean") == 0) {
		if ((b = odk_bool(v)) < 0) {
			*why = "not a Boolean (OpenDKIM reads T, Y, 1, F, N, 0)";
			*bad = 1;
			return NULL;
		}
		return strdup(b ? "yes" : "no");
	}
	if (strcmp(type, "action") == 0) {
		if ((act = tr_action(v, &q)) != NULL)
			return strdup(act);
		*why = q ? "dkimd cannot quarantine; the message is delivered "
		    "as On-Default says" : "not an action";
		*change = q;
		*bad = !q;
		return NULL;
	}
	if (strcmp(type, "list") == 0) {
		s = tr_list(v, why, &inl);
		*change = s == NULL;
		if (s != NULL && inl) {
			report(m, lineno, kw, "implemented", 0, "the entries "
			    "of %s written inline (later edits of that file "
			    "do not reach dkimd)", v);
			*said = 1;
		}
		return s;
	}
	if (strcasecmp(kw, "MacroList") == 0 && !is_file_set(v) &&
	    !other_set(v)) {
		s = tr_macros(v, why, &q);
		if (s != NULL && q > 0) {
			report(m, lineno, kw, "implemented", 0, "%d entries "
			    "of the form NAME|VALUE left out: OpenDKIM reads "
			    "each as the name of one macro, which no MTA "
			    "defines, so they never matched (write "
			    "NAME=VALUE to mean what they seem to)", q);
			*said = 1;
		}
		return s;
	}
	if (strcasecmp(kw, "Socket") == 0)
		return tr_socket(m, lineno, v, said);
	if (strcasecmp(kw, "KeyTable") == 0 || strcasecmp(kw, "SigningTable") ==
	    0) {
		s = tr_table(kw, v, why);
		*change = s == NULL;
		return s;
	}
	if (in_list(odk_hostsets, kw)) {
		s = tr_hosts(v, why);
		*change = s == NULL;
		return s;
	}
	if (strcasecmp(kw, "SignatureAlgorithm") == 0 &&
	    strcasecmp(v, "rsa-sha1") == 0) {
		*why = "dkimd signs with SHA-256 only (RFC 8301)";
		*change = 1;
		return NULL;
	}
	return strdup(v);
}

/* implemented - a keyword dkimd implements: its translated line */
static void
implemented(struct mig *m, int lineno, const char *kw, const char *type,
    const char *v)
{
	const char *why = "";
	char	*nv;
	int	change = 0, bad = 0, said = 0;

	nv = translate(m, lineno, kw, type, v, &why, &change, &bad, &said);
	if (nv == NULL) {
		if (bad) {
			fprintf(stderr, "%s:%d: %s: \"%s\": %s\n", m->file,
			    lineno, kw, secret(kw, v) ? "(value not shown)" :
			    v, why);
			m->invalid++;
			return;
		}
		report(m, lineno, kw, "implemented", change, "%s not "
		    "kept: %s", secret(kw, v) ? "the value" : v, why);
		comment_out(m, kw, v, why);
		return;
	}
	note_seen(m, kw);
	fprintf(m->out, "%s %s\n", kw, nv);
	if (!said && strcmp(nv, v) == 0)
		report(m, lineno, kw, "implemented", 0, "kept as is");
	else if (!said)
		report(m, lineno, kw, "implemented", 0, "%s written as %s", v,
		    nv);
	free(nv);
}

/*
 * not_kept - a keyword dkimd accepts, ignores or refuses: a comment in
 * the output; it changes mail unless it is neutral, accepted, or a
 * Boolean left false
 */
static void
not_kept(struct mig *m, int lineno, const char *kw,
    const struct conf_opendkim_info *o, const char *v)
{
	int	change;

	if (in_list(odk_booleans, kw) && odk_bool(v) < 0) {
		fprintf(stderr, "%s:%d: %s: \"%s\": not a Boolean (OpenDKIM "
		    "reads T, Y, 1, F, N, 0)\n", m->file, lineno, kw, v);
		m->invalid++;
		return;
	}
	change = o->cls == ODK_REFUSED || (o->cls == ODK_UNSUPPORTED &&
	    !in_list(mail_neutral, kw) &&
	    !(in_list(odk_booleans, kw) && odk_bool(v) == 0));
	report(m, lineno, kw, o->class_name, change, "%s", o->note);
	comment_out(m, kw, v, o->note);
}

/* include - OpenDKIM's Include: the file's lines, translated, in place */
static int
include(struct mig *m, int lineno, const char *v)
{
	const char *file = m->file, *slash = strrchr(file, '/');
	char	*path, *real;
	int	i, n;

	if (*v == '\0' || m->depth >= MIG_DEPTH || m->nfiles >= MIG_FILES) {
		fprintf(stderr, "%s:%d: Include: %s\n", file, lineno, *v ?
		    "more than 8 files deep or 32 in all" : "missing value");
		m->invalid++;
		return 0;
	}
	n = *v == '/' || slash == NULL ? 0 : (int)(slash - file) + 1;
	if ((path = malloc((size_t)n + strlen(v) + 1)) == NULL)
		return 1;
	memcpy(path, file, (size_t)n);
	strcpy(path + n, v);
	real = realpath(path, NULL);
	for (i = 0; real != NULL && i <= m->depth; i++)
		if (m->real[i] != NULL && strcmp(m->real[i], real) == 0) {
			fprintf(stderr, "%s:%d: Include \"%s\": a loop\n", file,
			    lineno, v);
			m->invalid++;
			free(real);
			free(path);
			return 0;
		}
	report(m, lineno, "Include", "implemented", 0, "the lines of %s "
	    "follow, translated", path);
	fprintf(m->out, "# from %s (Include)\n", path);
	m->nfiles++;
	m->real[++m->depth] = real;
	m->file = path;
	(void)util_readlines(path, mig_line, m, report_read, m);
	m->file = file;
	m->real[m->depth--] = NULL;
	free(real);
	fprintf(m->out, "# end of %s\n", path);
	free(path);
	return 0;
}

/* mig_line - one "Keyword value" line of the OpenDKIM configuration */
static int
mig_line(void *arg, int lineno, char *line)
{
	struct mig *m = arg;
	const struct conf_opendkim_info *o;
	const char *type, *canon = NULL;
	char	*v = line;

	while (*v && !isspace((unsigned char)*v))
		v++;
	if (*v)
		*v++ = '\0';
	v = util_trim(v);
	if (strcasecmp(line, "Include") == 0)
		return include(m, lineno, v);
	o = odk_class(line);
	type = keyword_type(line, &canon);
	if (o == NULL && type == NULL) {
		fprintf(stderr, "%s:%d: %s: not a keyword of OpenDKIM nor of "
		    "dkimd\n", m->file, lineno, line);
		m->invalid++;
		return 0;
	}
	if (o != NULL && o->cls != ODK_IMPLEMENTED)
		not_kept(m, lineno, o->name, o, v);
	else if (type != NULL)
		implemented(m, lineno, canon, type, v);
	else
		report(m, lineno, o->name, o->class_name, 1, "dkimtool migrate "
		    "cannot translate it: %s", o->note);
	return 0;
}

/*
 * OpenDKIM's defaults where dkimd's differ (opendkim.conf(5)): the line
 * written out unless the input set keyword seen (or also), and why.
 */
static const struct odk_default {
	const char *kw;
	const char *value;
	enum mig_seen seen, also;
	const char *note;
} odk_defaults[] = {
	{"Canonicalization", "simple/simple", SEEN_CANON, SEEN_CANON,
	    "OpenDKIM signed simple/simple, dkimd's default is "
	    "relaxed/relaxed: simple/simple written out"},
	{"InternalHosts", "127.0.0.1", SEEN_INTERNAL, SEEN_INTERNAL,
	    "OpenDKIM signed mail from 127.0.0.1, dkimd trusts no address "
	    "by default: 127.0.0.1 written out (a content filter that "
	    "re-injects inbound mail from loopback gets it signed; prefer "
	    "MTA ORIGINATING)"},
	{"MTA", "", SEEN_MTA, SEEN_MTA, "OpenDKIM had no MTA list, dkimd's "
	    "default signs {daemon_name} ORIGINATING: an empty list written "
	    "out"},
	{"OversignHeaders", "", SEEN_OVERSIGN, SEEN_OVERSIGN, "OpenDKIM "
	    "oversigned nothing by default, dkimd oversigns From, Subject, "
	    "...: an empty list written out"},
	{"On-DNSError", "tempfail", SEEN_ONDNS, SEEN_ONDEFAULT, "OpenDKIM's "
	    "default tempfail written out (dkimd's is accept)"},
	{"On-InternalError", "tempfail", SEEN_ONINTERNAL, SEEN_ONDEFAULT,
	    "OpenDKIM's default tempfail written out (dkimd's is accept)"},
};

/*
 * defaults - OpenDKIM's defaults where dkimd's differ, written out so
 * that the migrated file means what the old one did
 */
static void
defaults(struct mig *m)
{
	const struct odk_default *d;
	size_t	i;

	fprintf(m->out, "\n# OpenDKIM's defaults where dkimd's differ\n");
	for (i = 0; i < sizeof(odk_defaults) / sizeof(odk_defaults[0]); i++) {
		d = &odk_defaults[i];
		if (m->seen[d->seen] || m->seen[d->also])
			continue;
		fprintf(m->out, "%s%s%s\n", d->kw, *d->value ? " " : "",
		    d->value);
		report(m, 0, d->kw, "implemented", 0, "%s", d->note);
	}
	report(m, 0, "SenderAuthorization", "dkimd", 0, "dkimd signs an "
	    "authenticated login's mail only for the login's own domain, "
	    "OpenDKIM for any From; write SenderAuthorization (a data set, "
	    "or none) if logins sign for other domains");
}

/* check_line - a problem dkimd would report loading the result */
static void
check_line(void *arg, int warn, const char *msg)
{
	struct mig *m = arg;
	size_t	n = strlen(m->tmp);

	if (strncmp(msg, m->tmp, n) == 0)
		fprintf(stderr, "%s: dkimd -t: (output)%s\n", m->file, msg + n);
	else
		fprintf(stderr, "%s: dkimd -t: %s\n", m->file, msg);
	if (!warn)
		m->changes++;
}

/*
 * check - load the result as dkimd would (in a temporary file: Include
 * and relative paths of the output are absolute already)
 */
static void
check(struct mig *m, const char *text, size_t len)
{
	struct conf *c;
	char	tmp[] = "/tmp/dkimtool-migrate.XXXXXX";
	int	fd;

	if ((fd = mkstemp(tmp)) < 0) {
		tool_err("temporary file: %s", strerror(errno));
		m->changes++;
		return;
	}
	m->tmp = tmp;
	if (write(fd, text, len) != (ssize_t)len) {
		tool_err("temporary file: %s", strerror(errno));
		m->changes++;
	} else if ((c = conf_load(tmp, check_line, m)) == NULL)
		fprintf(stderr, "%s: dkimd would not load this configuration "
		    "(see above)\n", m->file);
	else
		conf_free(c);
	close(fd);
	unlink(tmp);
}

/* migrate_main - dkimtool migrate [--no-check] FILE */
int
migrate_main(int argc, char **argv)
{
	struct mig m;
	char	*text = NULL;
	size_t	len = 0;
	int	docheck = 1, i = 1, errors;

	if (argc > 1 && strcmp(argv[1], "--no-check") == 0) {
		docheck = 0;
		i++;
	}
	if (argc != i + 1 || argv[i][0] == '-')
		return tool_usage("migrate: usage: dkimtool migrate "
		    "[--no-check] FILE");
	memset(&m, 0, sizeof(m));
	m.file = argv[i];
	if ((m.out = open_memstream(&text, &len)) == NULL) {
		tool_err("out of memory");
		return TOOL_EX_USAGE;
	}
	m.real[0] = realpath(m.file, NULL);
	fprintf(m.out, "# dkimd.conf written by dkimtool migrate from %s\n",
	    m.file);
	errors = util_readlines(m.file, mig_line, &m, report_read, &m);
	free(m.real[0]);
	if (errors > 0 || m.invalid > 0) {
		fclose(m.out);
		free(text);
		if (m.invalid > 0)
			tool_err("%s: %d line(s) OpenDKIM would refuse; nothing "
			    "written", m.file, m.invalid);
		else
			tool_err("%s: cannot be read; nothing written", m.file);
		return TOOL_EX_USAGE;
	}
	defaults(&m);
	if (fclose(m.out) != 0) {
		free(text);
		tool_err("out of memory");
		return TOOL_EX_USAGE;
	}
	if (docheck)
		check(&m, text, len);
	fwrite(text, 1, len, stdout);
	free(text);
	if (fflush(stdout) != 0) {
		tool_err("stdout: %s", strerror(errno));
		return TOOL_EX_USAGE;
	}
	fprintf(stderr, "%s: %d change(s) for mail\n", m.file, m.changes);
	return m.changes > 0 ? TOOL_EX_FAIL : TOOL_EX_OK;
}
