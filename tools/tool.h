/*
 * tool.h - what the parts of dkimtool share (not installed)
 *
 *	msgin_*		read an RFC 5322 message from a stream: the header
 *			block kept (bounded), the body streamed in chunks
 *	genkey_main, sign_main, verify_main, keys_main	the sub-commands
 *	tool_zone	a key record in zone-file form (genkey.c)
 *	tool_err, tool_usage	one line on stderr, "dkimtool: ..."
 *	tool_conf_errors	conf_load()'s errors on stderr, not its warnings
 *	tool_feed_header, tool_feed_body	a message into the engine
 *
 * Exit statuses: 0 success, 1 failure, 2 usage, 75 temporary failure.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stddef.h>
#include <stdio.h>

#include "dkim.h"

#define TOOL_EX_OK	0
#define TOOL_EX_FAIL	1
#define TOOL_EX_USAGE	2
#define TOOL_EX_TEMP	75

#define TOOL_TIMEOUT_MAX	600000	/* ms: one DNS query, 10 minutes */

#define MSGIN_HEADER_MAX	(1024 * 1024)	/* bytes of header block */
#define MSGIN_CHUNK		(64 * 1024)	/* body bytes per read */

struct msgin_field {
	size_t	off;		/* into hdr */
	size_t	len;		/* folding included, final line end not */
};

struct msgin {
	FILE	*fp;
	char	*hdr;		/* raw header block, then maybe one body line */
	size_t	hlen;
	size_t	hcap;
	size_t	body_off;	/* hdr[body_off..hlen) is body already read */
	size_t	body_pos;	/* how much of that msgin_body() handed out */
	struct msgin_field *fields;
	size_t	nfields;
	size_t	fcap;
	int	lf_only;	/* the first line ended in a bare LF */
	int	overflow;	/* header block over MSGIN_HEADER_MAX */
};

int	msgin_read_header(struct msgin *, FILE *, char *err, size_t errlen);
int	msgin_body(struct msgin *, char *buf, size_t size, size_t *n);
void	msgin_free(struct msgin *);

void	tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int	tool_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	tool_conf_errors(void *arg, int warn, const char *msg);
int	tool_badopt(const char *cmd, int c, char **argv);
int	tool_timeout(const char *s, unsigned *ms);
FILE	*tool_open_input(int argc, char **argv, int optind, const char **name);

int	tool_feed_header(dkim_msg *, struct msgin *, FILE *, const char *name);
int	tool_feed_body(dkim_msg *, struct msgin *, const char *name, char *buf,
	    FILE *spool);

char	*tool_zone(const char *domain, const char *selector,
	    const char *record);

int	genkey_main(int argc, char **argv);
int	sign_main(int argc, char **argv);
int	verify_main(int argc, char **argv);
int	arcseal_main(int argc, char **argv);

/* verify.c, shared with arcseal.c */
int	tool_verifier(const char *cmd, const char *ns, unsigned timeout,
	    dkim_resolver **, dkim_ctx **, dkim_msg **, char **buf);
/* sign.c, shared with arcseal.c */
int	tool_rewrite(dkim_msg *, FILE *, const char *name, char *buf,
	    int (*put)(dkim_msg *, int lf_only, void *), void *arg);
void	tool_put_value(const char *v, int lf_only);
int	keys_main(int argc, char **argv);	/* showkeys, testkeys */
/* migrate_main - an opendkim.conf as a dkimd.conf (migrate.c) */
int	migrate_main(int argc, char **argv);

/* genkey_make - a new "rsa" or "ed25519" key, PKCS#8 PEM (genkey.c) */
char	*genkey_make(const char *alg, unsigned bits, size_t *pemlen);
/* keydb_main - key add|list|disable|remove, import, rotate, activate */
int	keydb_main(int argc, char **argv);

#endif /* TOOL_H */
