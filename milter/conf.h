/*
 * conf.h - dkimd's configuration: keywords, tables and keys, loaded as one
 *
 * SYNOPSIS
 *	struct conf *conf_load(path, report, arg)
 *	void conf_free(conf)
 *	conf_action_name(), conf_keyword_count(), conf_keyword_get(),
 *	conf_opendkim_get()
 *
 * CONTRACT
 *	conf_load() reads the configuration file, then the data sets it
 *	names (KeyTable, SigningTable, InternalHosts, SenderAuthorization,
 *	ExemptDomains, ...)
 *	and every key they name. Each problem is handed to report() as one line
 *	"FILE:LINE: what is wrong" (warn != 0 for warnings); the result is
 *	NULL when there was at least one error. Nothing here logs or exits:
 *	dkimd -t prints the lines, the daemon logs them.
 *
 *	Every keyword is described once, in the table of conf.c; the
 *	parser, the defaults, the bounds and dkimd -t read that table.
 *
 * OWNERSHIP
 *	A struct conf owns everything it points to, keys included (one
 *	reference each). It is read-only once loaded, so any number of
 *	threads may share it; the daemon reference-counts it (see mlfi.c).
 *	This header includes no libmilter header: libdkimconf.a is linked
 *	by dkimtool too.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <sys/types.h>

#include "dkim.h"

struct table;
struct hosts;
struct authz;
struct dset;
struct keytab_entry;

/* What to do with a message (On-* keywords). */
enum conf_action {
	CONF_ACT_ACCEPT = 0,
	CONF_ACT_TEMPFAIL,
	CONF_ACT_REJECT,
	CONF_ACT_DISCARD
};

/* Which On-* situation; indexes conf.on[]. */
enum conf_on {
	CONF_ON_DEFAULT = 0,
	CONF_ON_BADSIGNATURE,
	CONF_ON_DNSERROR,
	CONF_ON_NOSIGNATURE,
	CONF_ON_INTERNALERROR,
	CONF_ON_KEYNOTFOUND,
	CONF_ON_BADAUTHOR,
	CONF_ON_UNAUTHORIZED,		/* sender may not sign as From (authz.h) */
	CONF_ON_MAX
};

struct conf {
	char	*path;			/* the file read */

	/* keywords, filled from the table in conf.c */
	char	*socket;
	char	*metricssocket;		/* NULL: no metrics served */
	char	*logformat;		/* LogFormat: text|json */
	char	*keycheckinterval;	/* NULL or "off": no key check */
	char	*keytable;
	char	*signingtable;
	char	**mta;			/* NULL-terminated list */
	char	*internalhosts;
	char	*peerlist;		/* PeerList: mail passed untouched */
	char	*authservid;
	char	*unsignedbody;		/* UnsignedBodyContent: pass|policy */
	char	*canonicalization;
	char	**signheaders;		/* NULL: the engine's default */
	char	**oversignheaders;	/* NULL: the engine's default */
	char	**senderheaders;	/* NULL: From (author.h) */
	long	minkeybits;
	char	*nameservers;
	long	dnstimeout;		/* seconds */
	long	keycachebytes;		/* the key cache's ceiling */
	long	dnsinflight;		/* queries in flight at once */
	long	dnsperdomain;		/* ... for one domain group */
	int	on[CONF_ON_MAX];	/* enum conf_action; -1 = On-Default */
	char	*userid;
	long	umask;			/* -1 when not set */
	char	*pidfile;
	int	requiresafekeys;
	int	syslog;
	char	*syslogfacility;
	int	logwhy;
	long	maxsigs;
	long	maxheaderbytes;
	int	signauthenticated;
	char	*mode;
	char	**domain;		/* KeyFile shortcut: domains */
	char	*selector;
	char	*keyfile;
	char	*sigalg;
	int	multiplesignatures;
	long	signaturettl;		/* seconds, 0: no x= */
	char	**socketusers;		/* NULL: root, UserID, postfix, smmsp */
	char	*socketpeers;		/* remote peers allowed to connect */
	long	maxconns;		/* connections served at once */
	long	maxconnsperpeer;	/* ... per peer user or address */
	long	miltertimeout;		/* seconds */
	char	*senderauthz;		/* SenderAuthorization data set */
	int	senderauthzenvelope;	/* check unauthenticated mail too */
	int	subdomains;		/* SubDomains */
	char	*exemptdomains;		/* ExemptDomains data set */
	char	*dontsignmailto;	/* DontSignMailTo data set */
	char	*macrolist;		/* MacroList data set */
	int	removeoldsigs;		/* RemoveOldSignatures */
	int	softwareheader;		/* SoftwareHeader: DKIM-Filter */
	int	alwaysaddar;		/* AlwaysAddARHeader */
	long	maxsignedbytes;		/* MaximumSignedBytes, 0: all, no l= */
	long	clockdrift;		/* ClockDrift: seconds t= may be ahead */
	char	*dnsupdateserver;	/* rotate --auto: UPDATE primary */
	char	*dnsupdatekey;		/* ... its TSIG key file */
	char	*dnsupdatecheck;	/* servers that must see a record */
	char	*dnsupdatecommand;	/* hook instead of UPDATE */
	char	*dnsupdatewait;		/* durations, util_duration() */
	char	*keyrotationage;
	char	*keyretention;
	int	authservidjobid;	/* AuthservIDWithJobID */
	char	*externalignorelist;	/* ExternalIgnoreList data set */
	int	requiredheaders;	/* RequiredHeaders: reject bad counts */
	char	**arcsealmta;		/* ARCSealMTA, NULL-terminated */
	char	*arckey;		/* ARCKey: a KeyTable key name */

	/* derived at load */
	int	sign;			/* Mode has s */
	int	verify;			/* Mode has v */
	enum dkim_canon hcanon;
	enum dkim_canon bcanon;
	int	unsigned_ok;		/* UnsignedBodyContent pass */
	struct table *keytab;		/* NULL when none */
	struct table *signtab;		/* NULL when none */
	struct hosts *internal;		/* NULL when none */
	struct hosts *peers;		/* PeerList, NULL when none */
	struct hosts *exignore;		/* ExternalIgnoreList, or NULL */
	struct authz *authz;		/* SenderAuthorization, or NULL */
	int	authz_none;		/* SenderAuthorization none */
	uid_t	run_uid;		/* UserID, (uid_t)-1 when unset */
	gid_t	run_gid;
	uid_t	*sock_uids;		/* SocketUsers, resolved */
	size_t	nsock_uids;
	int	sock_anyuser;		/* SocketUsers "*" */
	struct hosts *sockpeers;	/* NULL when none */
	struct dset *exempt;		/* ExemptDomains, NULL when none */
	struct dset *dontsignto;	/* DontSignMailTo, NULL when none */
	struct dset *macros;		/* MacroList, NULL when none */
	const struct keytab_entry *arc_key; /* ARCKey's entry, in keytab */
	int	lines[96];		/* line of each keyword, 0 = default */
};

/* conf_report_fn - receives one "FILE:LINE: ..." line */
typedef void (*conf_report_fn)(void *arg, int warn, const char *msg);

struct conf *conf_load(const char *path, conf_report_fn report, void *arg);
void	conf_free(struct conf *);

/*
 * conf_seconds - a duration "N", "Ns", "Nm", "Nh" or "Nd" (or "off", 0)
 * into *secs, at most CONF_SECONDS_MAX; 0, or -1 when it is not one
 */
#define CONF_SECONDS_MAX	(30L * 86400)
int	conf_seconds(const char *v, long *secs);

/* conf_defaults - a configuration with every default and no file */
struct conf *conf_defaults(void);

/* conf_action - the action for situation on (On-Default when unset) */
enum conf_action conf_action(const struct conf *, enum conf_on on);

/* conf_action_name - "accept", "tempfail", "reject" or "discard" */
const char *conf_action_name(enum conf_action);

/* conf_mta_match - 1 when daemon_name is in the MTA list */
int	conf_mta_match(const struct conf *, const char *daemon_name);

/* conf_arc_seal - 1 when mail of daemon_name is to be ARC-sealed */
int	conf_arc_seal(const struct conf *, const char *daemon_name);

/* conf_socket_user - 1 when uid may talk to the milter socket */
int	conf_socket_user(const struct conf *, uid_t uid);

/* Keyword descriptions, for dkimd -t, the sample file and the man page. */
struct conf_keyword_info {
	const char *name;
	const char *type;		/* "string", "boolean", ... */
	const char *def;		/* default as text, "" for none */
	const char *doc;		/* one line */
};
size_t	conf_keyword_count(void);
const struct conf_keyword_info *conf_keyword_get(size_t n);

/* The keywords of opendkim.conf(5), each in one class (dkimd -K). */
enum conf_odk_class {
	ODK_IMPLEMENTED,	/* a keyword of dkimd, OpenDKIM's meaning */
	ODK_ACCEPTED,		/* dkimd already behaves so: info line */
	ODK_UNSUPPORTED,	/* warning: what dkimd does instead */
	ODK_REFUSED		/* error FILE:LINE: dangerous to ignore */
};
struct conf_opendkim_info {
	const char *name;
	enum conf_odk_class cls;
	const char *class_name;		/* "implemented", "accepted", ... */
	const char *note;		/* what dkimd does instead, or why */
};
const struct conf_opendkim_info *conf_opendkim_get(size_t n);

#endif /* CONF_H */
