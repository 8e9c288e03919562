/*
 * mlfi.h - dkimd's milter callbacks and the state they share
 *
 * SYNOPSIS
 *	mlfi_desc		the callbacks, for smfi_register()
 *	mlfi_inflight()		messages in flight now
 *	mlfi_eom()		end of message (eom.c)
 *	mlfi_conn() mlfi_macro() mlfi_fail() mlfi_act() mlfi_finish()
 *	mlfi_internal()		helpers shared by mlfi.c and eom.c
 *	mlfi_authz()		sender authorization (mlfi_authz.c)
 *
 * OWNERSHIP
 *	struct conn is the connection's private data (smfi_setpriv), freed
 *	at close; it owns struct msg, freed by mlfi_finish().
 */
#ifndef MLFI_H
#define MLFI_H

#include <sys/socket.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "author.h"
#include "live.h"
#include "mode.h"
#include "table.h"

#define AR_NAME		"Authentication-Results"

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
	size_t	ar_n;			/* Authentication-Results seen */
	size_t	*ours;			/* their indexes (1-based), ascending */
	size_t	nours;
	size_t	aours;			/* room in ours */
	int	ar_overflow;		/* more than we can remove */
	int	failed;			/* an internal error happened */
	char	err[256];
	struct signer signers[DKIM_MAX_SIGNERS];
	size_t	nsigners;
	struct timespec t0;
};

struct conn {
	struct sockaddr_storage sa;
	int	have_sa;
	char	client[64];
	char	daemon[64];
	int	leadspc;		/* SMFIP_HDR_LEADSPC negotiated */
	unsigned long nr;		/* the SMFIP_NR_* flags negotiated */
	sfsistat held;			/* verdict for the next reply */
	struct msg *m;
};

extern struct smfiDesc mlfi_desc;

int	mlfi_inflight(void);
sfsistat mlfi_eom(SMFICTX *);
struct conn *mlfi_conn(SMFICTX *);
const char *mlfi_macro(SMFICTX *, const char *name);
void	mlfi_fail(struct msg *, const char *what, const char *why);
sfsistat mlfi_act(SMFICTX *, struct msg *, enum conf_on, const char *what);
sfsistat mlfi_finish(struct conn *, sfsistat r, const char *outcome);
sfsistat mlfi_internal(SMFICTX *, struct conn *);
sfsistat mlfi_release(struct conn *);
int	mlfi_authz(SMFICTX *, struct conn *, sfsistat *r);

#endif /* MLFI_H */
