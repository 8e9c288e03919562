/*
 * mlfi.h - dkimd's milter callbacks
 *
 * SYNOPSIS
 *	mlfi_desc		the callbacks, for smfi_register()
 *	mlfi_inflight()		messages in flight now
 *
 * OWNERSHIP
 *	struct conn is the connection's private data (smfi_setpriv), freed
 *	at close; it holds the session (session.h) and the state of the
 *	SMFIP_NR_* replies.
 */
#ifndef MLFI_H
#define MLFI_H

#include <libmilter/mfapi.h>

#include "session.h"

struct conn {
	struct session s;
	unsigned long nr;		/* the SMFIP_NR_* flags negotiated */
	sfsistat held;			/* verdict for the next reply */
};

extern struct smfiDesc mlfi_desc;

int	mlfi_inflight(void);

#endif /* MLFI_H */
