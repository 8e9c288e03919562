/*
 * onmap.c - which On-* situation verification results call for
 *
 * Each cause maps to one situation (onmap_cause, a switch the compiler
 * checks for every cause: a new cause does not build until it is given
 * one). A message's situation is that of its signatures: none when one
 * passes, else the most pressing of theirs, in the order of rank(): a
 * temporary failure first (a retry may pass), then a key not found,
 * then a bad signature. A message without signatures is On-NoSignature.
 */
#include "onmap.h"

/* onmap_cause - the situation of one signature; CONF_ON_MAX for pass */
enum conf_on
onmap_cause(enum dkim_cause c)
{
	switch (c) {
	case DKIM_CAUSE_PASS:
		return CONF_ON_MAX;
	case DKIM_CAUSE_DNS_TEMP:
		return CONF_ON_DNSERROR;
	case DKIM_CAUSE_INTERNAL:
		return CONF_ON_INTERNALERROR;
	case DKIM_CAUSE_NO_KEY:
	case DKIM_CAUSE_DNS_PERM:
		return CONF_ON_KEYNOTFOUND;
	case DKIM_CAUSE_NONE:
	case DKIM_CAUSE_SIG_SYNTAX:
	case DKIM_CAUSE_ALG_UNKNOWN:
	case DKIM_CAUSE_X_BEFORE_T:
	case DKIM_CAUSE_EXPIRED:
	case DKIM_CAUSE_FUTURE:
	case DKIM_CAUSE_HNAMES_LIMIT:
	case DKIM_CAUSE_L_BEYOND_BODY:
	case DKIM_CAUSE_HEADER_TOO_LARGE:
	case DKIM_CAUSE_WEAK_ALG:
	case DKIM_CAUSE_SHORT_KEY:
	case DKIM_CAUSE_TOO_MANY_SIGS:
	case DKIM_CAUSE_TOO_MANY_BODYHASHES:
	case DKIM_CAUSE_UNSIGNED_BODY:
	case DKIM_CAUSE_FROM_COUNT:
	case DKIM_CAUSE_HEADER_LEADING_WSP:
	case DKIM_CAUSE_FROM_SYNTAX:
	case DKIM_CAUSE_SENDER_COUNT:
	case DKIM_CAUSE_SENDER_SYNTAX:
	case DKIM_CAUSE_SENDER_MAILBOXES:
	case DKIM_CAUSE_KEY_SYNTAX:
	case DKIM_CAUSE_KEY_REVOKED:
	case DKIM_CAUSE_KEY_TYPE:
	case DKIM_CAUSE_KEY_HASH:
	case DKIM_CAUSE_KEY_STRICT:
	case DKIM_CAUSE_KEY_INVALID:
	case DKIM_CAUSE_BODY_HASH:
	case DKIM_CAUSE_BAD_SIGNATURE:
	case DKIM_CAUSE_MAX:
		break;
	}
	return CONF_ON_BADSIGNATURE;	/* and a value out of range */
}

/* rank - how pressing a signature's situation is; higher wins */
static int
rank(enum conf_on on)
{
	switch (on) {
	case CONF_ON_INTERNALERROR:
		return 3;
	case CONF_ON_DNSERROR:
		return 2;
	case CONF_ON_KEYNOTFOUND:
		return 1;
	default:
		return 0;
	}
}

/*
 * onmap_add - the situation so far (CONF_ON_NOSIGNATURE before the first
 * signature) with one more signature's result: CONF_ON_MAX from a pass
 * on, else the higher rank; r->reason is not read
 */
enum conf_on
onmap_add(enum conf_on so_far, const struct dkim_sigresult *r)
{
	enum conf_on on = onmap_cause(r->cause);

	if (so_far == CONF_ON_MAX || on == CONF_ON_MAX)
		return CONF_ON_MAX;
	if (so_far == CONF_ON_NOSIGNATURE || rank(on) > rank(so_far))
		return on;
	return so_far;
}

/* onmap_message - the message's situation; CONF_ON_MAX when one passes */
enum conf_on
onmap_message(const dkim_msg *dm)
{
	const struct dkim_sigresult *r;
	enum conf_on on = CONF_ON_NOSIGNATURE;
	size_t	i, n = dkim_result_count(dm);

	for (i = 0; i < n; i++)
		if ((r = dkim_result_get(dm, i)) != NULL)
			on = onmap_add(on, r);
	return on;
}
