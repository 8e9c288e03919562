/*
 * onmap.h - which On-* situation verification results call for
 *
 * SYNOPSIS
 *	onmap_cause(cause)	one signature's situation
 *	onmap_add(so_far, r)	the situation with one more result
 *	onmap_message(dm)	the message's, after dkim_eom()
 *
 * CONTRACT
 *	Only the engine's enumerated cause (enum dkim_cause) decides; the
 *	reason text is never read, so rewording it, or a sender's text
 *	inside it, cannot move mail to another action. CONF_ON_MAX means
 *	no action: a signature passes. No libmilter header here.
 */
#ifndef ONMAP_H
#define ONMAP_H

#include "conf.h"
#include "dkim.h"

enum conf_on onmap_cause(enum dkim_cause);
enum conf_on onmap_add(enum conf_on so_far, const struct dkim_sigresult *);
enum conf_on onmap_message(const dkim_msg *);

#endif /* ONMAP_H */
