/*
 * tap.h - a minimal TAP producer for dkimd's C unit tests
 *
 *	plan_lazy();			at the start
 *	ok(cond, "what it proves");	one test
 *	is_int(got, want, "...");	with a diagnostic on failure
 *	is_str(got, want, "...");
 *	skip("why");			one test not run, and why
 *	return done_testing();		prints the plan, exit status
 *
 * Output is TAP 13 for prove(1) and automake's tap-driver.sh.
 */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

static inline void
plan_lazy(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline int
tap_ok(int cond, const char *file, int line, const char *name)
{
	tap_n++;
	if (!cond)
		tap_fail++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	return cond;
}

#define ok(cond, name) tap_ok(!!(cond), __FILE__, __LINE__, (name))

#define is_int(got, want, name) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!tap_ok(g_ == w_, __FILE__, __LINE__, (name)))		\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)

#define is_str(got, want, name) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int c_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;		\
	if (!tap_ok(c_, __FILE__, __LINE__, (name)))			\
		printf("#   got \"%s\"\n#  want \"%s\"\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

/* skip - one test that this build cannot run, counted as a TAP skip */
static inline void
skip(const char *why)
{
	tap_n++;
	printf("ok %d # SKIP %s\n", tap_n, why);
}

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}

#endif /* TAP_H */
