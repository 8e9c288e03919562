/*
 * util.c - line reading, problem reports and lists for milter/'s loaders
 *
 * The configuration file and every data set share one notion of a line:
 * '#' to the end is a comment, white space around is dropped, blank lines
 * do not count. Line numbers are physical lines, so that "FILE:LINE"
 * points where an editor would.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/*
 * util_report - format one problem line and hand it to report; a line
 * longer than the buffer (a value or a path of a thousand bytes quoted
 * in it) keeps its start and its end, which says what is wrong, with
 * " ... " between them
 */
void
util_report(conf_report_fn report, void *rarg, int warn, const char *fmt, ...)
{
	char	msg[1024], *all;
	va_list	ap;
	int	n;

	if (report == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(msg) && n < (1 << 20) &&
	    (all = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(all, (size_t)n + 1, fmt, ap);
		va_end(ap);
		snprintf(msg, sizeof(msg), "%.500s ... %s", all,
		    all + n - (sizeof(msg) - 500 - 6));
		free(all);
	}
	report(rarg, warn, msg);
}

/* util_trim - drop white space at both ends, in place; returns the start */
char *
util_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* util_lower - ASCII lower case, in place */
void
util_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * read_line - the next line of fp into buf (room for max bytes and a NUL),
 * its newline kept; bytes past max are read and dropped, *toolong then
 * set, so a hostile file costs no more memory than one line's ceiling.
 * Returns the bytes stored, or -1 at end of file.
 */
static ssize_t
read_line(FILE *fp, char *buf, size_t max, int *toolong)
{
	size_t	n = 0;
	int	c = EOF, any = 0;

	*toolong = 0;
	while ((c = getc_unlocked(fp)) != EOF) {
		any = 1;
		if (n < max)
			buf[n++] = (char)c;
		else
			*toolong = 1;
		if (c == '\n')
			break;
	}
	if (!any)
		return -1;
	buf[n] = '\0';
	return (ssize_t)n;
}

/* util_readlines - call fn for each meaningful line of path */
int
util_readlines(const char *path, util_line_fn fn, void *arg,
    conf_report_fn report, void *rarg)
{
	FILE	*fp;
	struct stat st;
	char	*buf, *line, *hash;
	ssize_t	len;
	int	lineno = 0, errors = 0, toolong;

	if ((fp = fopen(path, "r")) == NULL) {
		util_report(report, rarg, 0, "%s: cannot open: %s", path,
		    strerror(errno));
		return 1;
	}
	/* a device such as /dev/zero would never end */
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		util_report(report, rarg, 0, "%s: not a regular file", path);
		fclose(fp);
		return 1;
	}
	if ((buf = malloc(UTIL_MAX_LINE + 1)) == NULL) {
		util_report(report, rarg, 0, "%s: out of memory", path);
		fclose(fp);
		return 1;
	}
	while ((len = read_line(fp, buf, UTIL_MAX_LINE, &toolong)) != -1) {
		lineno++;
		if (toolong) {
			util_report(report, rarg, 0,
			    "%s:%d: line longer than %d bytes", path, lineno,
			    UTIL_MAX_LINE);
			errors++;
			continue;
		}
		if (memchr(buf, '\0', (size_t)len) != NULL) {
			util_report(report, rarg, 0, "%s:%d: NUL byte in line",
			    path, lineno);
			errors++;
			continue;
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		line = util_trim(buf);
		if (*line == '\0')
			continue;
		errors += fn(arg, lineno, line);
	}
	if (ferror(fp)) {
		util_report(report, rarg, 0, "%s: read error: %s", path,
		    strerror(errno));
		errors++;
	}
	free(buf);
	fclose(fp);
	return errors;
}

/* util_strvfree - free a vector from util_split(); NULL is a no-op */
void
util_strvfree(char **v)
{
	char	**p;

	if (v == NULL)
		return;
	for (p = v; *p; p++)
		free(*p);
	free(v);
}

/* util_strvlen - number of strings in a NULL-terminated vector */
size_t
util_strvlen(char *const *v)
{
	size_t	n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* util_split - split text at commas and white space into a vector */
char **
util_split(const char *text)
{
	char	**v, **nv;
	size_t	n = 0, i;
	const char *p = text, *s;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	for (;;) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		for (s = p; *p && *p != ',' && !isspace((unsigned char)*p); p++)
			;
		if ((nv = realloc(v, (n + 2) * sizeof(*v))) == NULL)
			goto fail;
		v = nv;
		if ((v[n] = strndup(s, (size_t)(p - s))) == NULL)
			goto fail;
		v[++n] = NULL;
	}
	return v;
fail:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}

/* util_thread - run fn(arg) in a detached thread, every signal blocked */
int
util_thread(void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	int	rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &a, fn, arg);
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

/* util_duration - "N" seconds or N with a unit s, m, h, d, w */
int
util_duration(const char *text, long *secs)
{
	static const char units[] = "smhdw";
	static const long mult[] = { 1, 60, 3600, 86400, 7 * 86400 };
	const char *u;
	char	*end;
	long	 n;

	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || n > 10L * 366 * 86400)
		return -1;
	if (*end == '\0') {
		*secs = n;
		return 0;
	}
	if (end[1] != '\0' || (u = strchr(units, *end)) == NULL ||
	    n > 10L * 366 * 86400 / mult[u - units])
		return -1;
	*secs = n * mult[u - units];
	return 0;
}
