/*
 * mode.h - the sign-or-verify decision for one message
 *
 * SYNOPSIS
 *	mode_choose(conf, in, why, whylen)
 *	mode_macros(conf, buf, len)	the MacroList names, for the MTA
 *
 * CONTRACT
 *	Do nothing when the client address is in PeerList (OpenDKIM's
 *	meaning: that mail passes untouched). Else sign when Mode has s and
 *	one of: {daemon_name} is in MTA; a MacroList macro is set (to one
 *	of its values, when the entry lists values: compared exactly); the
 *	sender authenticated ({auth_authen} or {auth_type} set) and
 *	SignAuthenticated is yes; the client address is in InternalHosts.
 *	Otherwise verify when Mode has v; otherwise do nothing. Loopback is
 *	not trusted by itself: a content filter re-injects from 127.0.0.1.
 *	why receives the reason for the log line ("MTA ORIGINATING", ...).
 */
#ifndef MODE_H
#define MODE_H

#include <stddef.h>
#include <sys/socket.h>

#include "conf.h"

enum mode_choice {
	MODE_NONE = 0,
	MODE_SIGN,
	MODE_VERIFY
};

struct mode_in {
	const char *daemon_name;	/* NULL when not sent */
	const char *auth_authen;	/* NULL when not sent */
	const char *auth_type;		/* NULL when not sent */
	const struct sockaddr *client;	/* NULL when unknown */
	const char *client_text;	/* {client_addr}, NULL when unknown */
	/* a macro's value, NULL when not sent or empty (MacroList) */
	const char *(*macro)(void *arg, const char *name);
	void	*macro_arg;
};

enum mode_choice mode_choose(const struct conf *, const struct mode_in *,
	    char *why, size_t whylen);

/*
 * mode_macros - append " {name}" to buf for each MacroList macro that
 * fits in len bytes (NUL included): the macros to ask the MTA for
 */
void	mode_macros(const struct conf *, char *buf, size_t len);

#endif /* MODE_H */
