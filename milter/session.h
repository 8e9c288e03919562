/*
 * session.h - what a message means, without libmilter: the signers
 * chosen, sender authorization, the verdict, the A-R fields to remove
 *
 * SYNOPSIS
 *	session_connect(s, sa, mac)		the client
 *	session_envfrom(s, mac, out)		MAIL FROM: a new message
 *	session_rcpt(s, addr)			RCPT TO: one recipient
 *	session_header(s, name, value)		one field, as received
 *	session_eoh(s, mac, out)		end of header
 *	session_body(s, chunk, len)		a chunk of body
 *	session_eom(s, mac, out)		end of message
 *	session_refused(s, out, what)		an edit of out was refused
 *	session_finish(s, out)			the log line; the message ends
 *	session_abort(s, out, outcome)		the message ends early
 *	session_inflight()			messages in flight now
 *
 * CONTRACT
 *	The milter callbacks (mlfi.c) feed a struct session the events of
 *	one connection and carry out what it answers; no libmilter header
 *	is included here, so t/test_session.c drives sessions directly.
 *	Macros are read through struct session_mac when an event needs
 *	them. A call that takes a struct session_out fills it: when
 *	out->done is 0 the message goes on (reply SESSION_CONTINUE, no
 *	edits); when 1, the caller carries out the edits in order (delete
 *	the fields named AR_NAME at the indexes del[ndel-1] down to del[0],
 *	highest first: the MTA renumbers after each deletion,
 *	CVE-2022-48521; delete the fields named SIG_NAME at ndelsig down
 *	to 1; then insert each of ins[] at the top), sets the
 *	reply, calls session_refused() if the MTA refused an edit (unless
 *	out->best_effort), then session_finish(), logs out->log and answers
 *	with out->reply. out->warn, when not empty, is one more line to log.
 *	The held-reply state of SMFIP_NR_* is the adapter's (mlfi.c).
 *
 * OWNERSHIP
 *	struct session is the connection's; it owns struct msg, from
 *	session_envfrom() to session_finish(). The strings out points to
 *	belong to the message and live until session_finish().
 */
#ifndef SESSION_H
#define SESSION_H

#include <sys/socket.h>
#include <stddef.h>
#include <time.h>

#include "author.h"
#include "live.h"
#include "mode.h"
#include "table.h"

#define AR_NAME		"Authentication-Results"
#define SESSION_MAX_INS	(DKIM_MAX_SIGNERS + 5)	/* + A-R or DKIM-Filter,
						   + an ARC set */
#define SIG_NAME	"DKIM-Signature"

/* the answer to the MTA */
enum session_verdict {
	SESSION_CONTINUE = 0,
	SESSION_ACCEPT,
	SESSION_REJECT,
	SESSION_TEMPFAIL,
	SESSION_DISCARD
};

/* macros, read through get(arg, "{name}"): NULL when not sent or empty */
struct session_mac {
	const char *(*get)(void *arg, const char *name);
	void	*arg;
};

struct session_out {
	int	done;			/* the message ends: log, answer */
	enum session_verdict verdict;
	const char *rcode, *xcode, *text; /* the reply, NULL for none */
	const size_t *del;		/* AR_NAME indexes, ascending */
	size_t	ndel;
	size_t	ndelsig;		/* SIG_NAME 1..ndelsig, highest first */
	struct {
		const char *name;
		char	*value;		/* LF line ends, as the MTA wants */
	} ins[SESSION_MAX_INS];		/* each inserted at the top */
	size_t	nins;
	int	best_effort;		/* a refused edit changes nothing */
	const char *outcome;		/* for the log line */
	char	warn[300];
	char	log[2048];		/* set by session_finish() */
};

struct msg {
	struct live *live;		/* one reference */
	dkim_msg *dm;			/* signing or verifying */
	dkim_msg *check;		/* signing: verifies signatures present */
	enum mode_choice mode;
	char	why[160];
	char	qid[64];
	char	from[512];		/* the author's address (author.h) */
	struct author author;		/* signing: From, Sender, SenderHeaders */
	int	has_sig;		/* a DKIM-Signature came in */
	size_t	nsig;			/* how many */
	int	exempt;			/* ExemptDomains: only forged A-R go */
	int	seal;			/* ARCSealMTA: sealed after verifying */
	char	nosign_rcpt[256];	/* DontSignMailTo: the first listed */
	char	external[160];		/* "HOST sent as DOMAIN", or "" */
	unsigned counts[11];		/* RFC 5322 §3.6 fields (session.c) */
	size_t	ar_n;			/* Authentication-Results seen */
	size_t	*ours;			/* their indexes (1-based), ascending */
	size_t	nours;
	size_t	aours;			/* room in ours */
	int	ar_overflow;		/* more than we can remove */
	int	failed;			/* an internal error happened */
	int	aborted;		/* ended before end of message */
	int	unsigned_why;		/* enum metrics_unsigned, or -1 */
	char	err[256];
	struct signer signers[DKIM_MAX_SIGNERS];
	size_t	nsigners;
	char	*ins[SESSION_MAX_INS];	/* values inserted, freed at the end */
	size_t	nins;
	char	outcome[1500];
	struct timespec t0;
};

struct session {
	struct sockaddr_storage sa;
	int	have_sa;
	char	client[64];
	char	daemon[64];
	int	leadspc;		/* header values keep their leading space */
	int	rcpt;			/* the MTA sends RCPT (session_rcpt) */
	struct msg *m;
};

int	session_inflight(void);
void	session_connect(struct session *, const struct sockaddr *,
	    const struct session_mac *);
void	session_envfrom(struct session *, const struct session_mac *,
	    struct session_out *);
void	session_rcpt(struct session *, const char *addr);
void	session_header(struct session *, const char *name, const char *value);
void	session_eoh(struct session *, const struct session_mac *,
	    struct session_out *);
void	session_body(struct session *, const unsigned char *, size_t);
void	session_eom(struct session *, const struct session_mac *,
	    struct session_out *);
void	session_refused(struct session *, struct session_out *,
	    const char *what);
void	session_finish(struct session *, struct session_out *);
void	session_abort(struct session *, struct session_out *,
	    const char *outcome);

/* shared by session.c, session_eom.c and session_authz.c */
const char *session_get(const struct session_mac *, const char *name);
void	session_fail(struct msg *, const char *what, const char *why);
void	session_act(struct msg *, struct session_out *, enum conf_on,
	    const char *text);
void	session_end(struct session_out *, enum session_verdict,
	    const char *outcome);
void	session_internal(struct session *, struct session_out *);
int	session_insert(struct msg *, struct session_out *, int leadspc,
	    const char *name, const char *value);
void	session_eom_do(struct session *, struct session_out *);
int	session_authz(struct session *, const struct session_mac *,
	    struct session_out *);

#endif /* SESSION_H */
