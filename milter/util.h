/*
 * util.h - small helpers shared by the configuration modules of milter/
 *
 * SYNOPSIS
 *	util_readlines(path, fn, arg, report, rarg)	each meaningful line
 *	util_report(report, rarg, warn, fmt, ...)	format one problem
 *	util_split(text)				"a, b c" -> list
 *	util_strvfree(list)
 *	util_lower(s)
 *	util_thread(fn, arg)				a detached thread
 *	util_duration(text, &secs)			"7d" -> 604800
 *
 * CONTRACT
 *	util_readlines() opens path, strips '#' comments and surrounding
 *	white space, skips blank lines and calls fn(arg, lineno, line) for
 *	the rest (line is writable and lives until fn returns). Lines over
 *	UTIL_MAX_LINE bytes are reported, not passed on. It returns the
 *	number of errors reported (its own, plus fn's return values), or 1
 *	when the file cannot be read.
 *
 *	util_thread() starts fn(arg) detached with every signal blocked:
 *	libmilter's signal thread must be the one to get SIGHUP and
 *	SIGTERM (a thread started before smfi_main() would take them
 *	with the default action, which ends the process). 0 or -1.
 *
 * OWNERSHIP
 *	util_split() returns a malloc()ed NULL-terminated vector of
 *	malloc()ed strings, freed with util_strvfree(); NULL on no memory.
 */
#ifndef UTIL_H
#define UTIL_H

#include "conf.h"

#define UTIL_MAX_LINE	4096

typedef int (*util_line_fn)(void *arg, int lineno, char *line);

int	util_readlines(const char *path, util_line_fn fn, void *arg,
	    conf_report_fn report, void *rarg);
void	util_report(conf_report_fn report, void *rarg, int warn,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
char	**util_split(const char *text);
void	util_strvfree(char **);
size_t	util_strvlen(char *const *);
void	util_lower(char *);
int	util_thread(void *(*fn)(void *), void *arg);
char	*util_trim(char *);

/* util_duration - N, Ns, Nm, Nh, Nd or Nw as seconds (<= 10 years); 0/-1 */
int	util_duration(const char *text, long *secs);

#endif /* UTIL_H */
