/*
 * conf.c - dkimd.conf: one table of keywords, the parser, the loader
 *
 * The file has OpenDKIM's shape: "Keyword value" per line, '#' comments,
 * keywords compared without case. Every keyword dkimd knows is one row
 * of keywords[] below: name, type, where it goes, default, bounds, one
 * line of doc. Defaults go through the same setters as the file, so a
 * default can never be a value the parser would refuse.
 *
 * Every other keyword of opendkim.conf(5) is a row of opendkim[]: dkimd
 * accepts it with an info line, warns about it and ignores it, or
 * refuses it (FILE:LINE and why), as its class says; anything else
 * unknown is an error.
 *
 * conf_load() returns a complete configuration (tables and keys loaded)
 * or NULL; see conf.h.
 */
#include <ctype.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "authz.h"
#include "conf.h"
#include "db.h"
#include "dset.h"
#include "hosts.h"
#include "keypct.h"
#include "sock.h"
#include "table.h"
#include "util.h"

enum ktype {
	K_STR,			/* char * */
	K_BOOL,			/* int */
	K_INT,			/* long, min..max */
	K_OCTAL,		/* long, min..max, read in base 8 */
	K_LIST,			/* char **, commas or white space */
	K_ACTION		/* int, enum conf_action */
};

typedef int (*check_fn)(const char *value, char *why, size_t whylen);

struct keyword {
	const char *name;
	enum ktype type;
	size_t	off;
	const char *def;	/* NULL: unset */
	long	min, max;
	check_fn check;		/* extra check of a K_STR value, or NULL */
	const char *doc;
};

static int check_canon(const char *, char *, size_t);
static int check_mode(const char *, char *, size_t);
static int check_alg(const char *, char *, size_t);
static int check_facility(const char *, char *, size_t);
static int check_socket(const char *, char *, size_t);
static int check_logformat(const char *, char *, size_t);
static int check_seconds(const char *, char *, size_t);
static int check_authservid(const char *, char *, size_t);
static int check_unsignedbody(const char *, char *, size_t);
static int check_duration(const char *, char *, size_t);

#define O(f)	offsetof(struct conf, f)
#define ON(i)	(offsetof(struct conf, on) + (i) * sizeof(int))

static const struct keyword keywords[] = {
	{"Socket", K_STR, O(socket), "inet:8891@127.0.0.1", 0, 0, check_socket,
	    "where to listen: inet:PORT@HOST, inet6:PORT@HOST, unix:/path; "
	    "no @HOST means loopback"},
	{"MetricsSocket", K_STR, O(metricssocket), NULL, 0, 0, check_socket,
	    "serve GET /metrics (Prometheus) and /healthz here: inet:PORT@HOST, "
	    "inet6:PORT@HOST, unix:/path; no @HOST means loopback"},
	{"KeyCheckInterval", K_STR, O(keycheckinterval), "off", 0, 0,
	    check_seconds, "look up each active signing key's published "
	    "record this often and compare it with the key (e.g. 1h; s, m, "
	    "h, d); off: never"},
	{"LogFormat", K_STR, O(logformat), "text", 0, 0, check_logformat,
	    "text, or json: each message's line is one JSON object"},
	{"Mode", K_STR, O(mode), "sv", 0, 0, check_mode,
	    "s to sign, v to verify, sv for both"},
	{"KeyTable", K_STR, O(keytable), NULL, 0, 0, NULL,
	    "data set of NAME DOMAIN:SELECTOR:KEYPATH lines"},
	{"SigningTable", K_STR, O(signingtable), NULL, 0, 0, NULL,
	    "data set of From-address PATTERN KEYNAME [IDENTITY] lines"},
	{"MultipleSignatures", K_BOOL, O(multiplesignatures), "no", 0, 0, NULL,
	    "sign once per matching SigningTable line, not just the first"},
	{"Domain", K_LIST, O(domain), NULL, 0, 0, NULL,
	    "with KeyFile: the From domains to sign (no KeyTable)"},
	{"Selector", K_STR, O(selector), NULL, 0, 0, NULL,
	    "with KeyFile: the selector (s=)"},
	{"KeyFile", K_STR, O(keyfile), NULL, 0, 0, NULL,
	    "a single private key for Domain and Selector (no KeyTable)"},
	{"SignatureAlgorithm", K_STR, O(sigalg), NULL, 0, 0, check_alg,
	    "rsa-sha256 or ed25519-sha256; must match KeyFile's key"},
	{"Canonicalization", K_STR, O(canonicalization), "relaxed/relaxed",
	    0, 0, check_canon, "header/body canonicalization of signatures"},
	{"SignHeaders", K_LIST, O(signheaders), NULL, 0, 0, NULL,
	    "header fields to sign (default: the engine's list)"},
	{"OversignHeaders", K_LIST, O(oversignheaders), NULL, 0, 0, NULL,
	    "header fields signed once more than present (default: engine's)"},
	{"SenderHeaders", K_LIST, O(senderheaders), NULL, 0, 0, NULL,
	    "fields naming the signer, the first present decides (From)"},
	{"SignatureTTL", K_INT, O(signaturettl), "0", 0, 315360000, NULL,
	    "seconds a signature is valid (x=); 0 for no expiry"},
	{"MTA", K_LIST, O(mta), "ORIGINATING", 0, 0, NULL,
	    "{daemon_name} values whose mail is signed"},
	{"ARCSealMTA", K_LIST, O(arcsealmta), NULL, 0, 0, NULL,
	    "{daemon_name} values whose verified mail is ARC-sealed "
	    "(needs ARCKey)"},
	{"ARCKey", K_STR, O(arckey), NULL, 0, 0, NULL,
	    "KeyTable key name that makes ARC seals (its domain and "
	    "selector are d= and s=)"},
	{"InternalHosts", K_STR, O(internalhosts), NULL, 0, 0, NULL,
	    "client addresses/CIDRs whose mail is signed (or file:/path, "
	    "refile:/path)"},
	{"PeerList", K_STR, O(peerlist), NULL, 0, 0, NULL,
	    "client addresses/CIDRs whose mail is neither signed nor "
	    "verified (or file:/path)"},
	{"SignAuthenticated", K_BOOL, O(signauthenticated), "yes", 0, 0, NULL,
	    "sign mail from SMTP-authenticated senders ({auth_authen})"},
	{"AuthservID", K_STR, O(authservid), NULL, 0, 0, check_authservid,
	    "authserv-id of Authentication-Results, a token (default: host "
	    "name)"},
	{"UnsignedBodyContent", K_STR, O(unsignedbody), "policy", 0, 0,
	    check_unsignedbody, "result of a signature whose l= leaves body "
	    "bytes unsigned: policy or pass"},
	{"SenderAuthorization", K_STR, O(senderauthz), NULL, 0, 0, NULL,
	    "data set of LOGIN DOMAIN[,DOMAIN...] lines a login may also sign "
	    "for; none: any sender signs any From"},
	{"SenderAuthorizationEnvelope", K_BOOL, O(senderauthzenvelope), "no",
	    0, 0, NULL, "authorize unauthenticated signing mail by its envelope "
	    "sender"},
	{"SubDomains", K_BOOL, O(subdomains), "no", 0, 0, NULL,
	    "a sender's domain, and with KeyFile each Domain, covers its "
	    "subdomains"},
	{"ExemptDomains", K_STR, O(exemptdomains), NULL, 0, 0, NULL,
	    "data set of author domains whose mail is neither signed nor "
	    "verified (forged Authentication-Results still go)"},
	{"DontSignMailTo", K_STR, O(dontsignmailto), NULL, 0, 0, NULL,
	    "data set of recipient addresses: mail to any of them is not "
	    "signed"},
	{"MacroList", K_STR, O(macrolist), NULL, 0, 0, NULL,
	    "data set of NAME[=VALUE|VALUE...] macros: mail is signed when "
	    "the MTA sends one of them (with one of its values)"},
	{"RemoveOldSignatures", K_BOOL, O(removeoldsigs), "no", 0, 0, NULL,
	    "when signing, remove the DKIM-Signature fields the message "
	    "came with"},
	{"SoftwareHeader", K_BOOL, O(softwareheader), "no", 0, 0, NULL,
	    "add DKIM-Filter: dkimd, its version, AuthservID and the queue "
	    "id to mail signed or verified"},
	{"AlwaysAddARHeader", K_BOOL, O(alwaysaddar), "yes", 0, 0, NULL,
	    "add Authentication-Results (dkim=none) to unsigned mail too; "
	    "OpenDKIM's default is no"},
	{"MaximumSignedBytes", K_INT, O(maxsignedbytes), "0", 0, 2147483647,
	    NULL, "sign at most this many body bytes, with l=; 0 for the "
	    "whole body, without l="},
	{"ClockDrift", K_INT, O(clockdrift), "300", 0, 86400, NULL,
	    "seconds a signature's t= may be ahead of our clock"},
	{"AuthservIDWithJobID", K_BOOL, O(authservidjobid), "no", 0, 0, NULL,
	    "write the authserv-id as \"AuthservID/queue-id\""},
	{"ExternalIgnoreList", K_STR, O(externalignorelist), NULL, 0, 0, NULL,
	    "client addresses/CIDRs (or file:/path, refile:/path) whose "
	    "inbound mail as a domain we sign for is not noted in the log"},
	{"RequiredHeaders", K_BOOL, O(requiredheaders), "no", 0, 0, NULL,
	    "reject mail whose header field counts break RFC 5322 section "
	    "3.6 (one From and Date; at most one Subject, To, ...)"},
	{"MinimumKeyBits", K_INT, O(minkeybits), "1024", 512, 16384, NULL,
	    "RSA keys shorter than this never pass, nor sign"},
	{"MaximumSignaturesToVerify", K_INT, O(maxsigs), "8", 1, 100, NULL,
	    "signatures verified per message; more are reported as policy"},
	{"MaximumHeaderBytes", K_INT, O(maxheaderbytes), "1048576", 4096,
	    67108864, NULL, "bytes of header block kept per message"},
	{"MaximumHeaders", K_INT, O(maxheaderbytes), NULL, 4096, 67108864,
	    NULL, "OpenDKIM's name of MaximumHeaderBytes (the same setting; "
	    "the later line wins)"},
	{"Nameservers", K_STR, O(nameservers), NULL, 0, 0, NULL,
	    "HOST[:PORT] list for key lookups (default: resolv.conf)"},
	{"DNSTimeout", K_INT, O(dnstimeout), "5", 1, 300, NULL,
	    "seconds per DNS query"},
	{"KeyCacheBytes", K_INT, O(keycachebytes), "4194304", 65536,
	    1073741824, NULL, "bytes the cache of key records may take"},
	{"DNSLookupsInFlight", K_INT, O(dnsinflight), "500", 16, 4096, NULL,
	    "key queries in flight at once; more fail at once (temperror)"},
	{"DNSLookupsPerDomain", K_INT, O(dnsperdomain), "8", 1, 4096, NULL,
	    "key queries in flight for one signing domain (group)"},
	{"On-Default", K_ACTION, ON(CONF_ON_DEFAULT), "accept", 0, 0, NULL,
	    "action for every On-* not given: accept|tempfail|reject|discard"},
	{"On-BadSignature", K_ACTION, ON(CONF_ON_BADSIGNATURE), NULL, 0, 0, NULL,
	    "action when no signature passes and one fails"},
	{"On-DNSError", K_ACTION, ON(CONF_ON_DNSERROR), NULL, 0, 0, NULL,
	    "action when a key lookup fails temporarily"},
	{"On-NoSignature", K_ACTION, ON(CONF_ON_NOSIGNATURE), NULL, 0, 0, NULL,
	    "action for a message without any signature"},
	{"On-InternalError", K_ACTION, ON(CONF_ON_INTERNALERROR), NULL, 0, 0,
	    NULL, "action on an internal error (memory, engine, ceiling)"},
	{"On-KeyNotFound", K_ACTION, ON(CONF_ON_KEYNOTFOUND), NULL, 0, 0, NULL,
	    "action when a signature's key is not in DNS"},
	{"On-BadAuthor", K_ACTION, ON(CONF_ON_BADAUTHOR), NULL, 0, 0, NULL,
	    "action when mail to sign names no single valid author"},
	{"On-Unauthorized", K_ACTION, ON(CONF_ON_UNAUTHORIZED), NULL, 0, 0,
	    NULL, "action when the sender may not sign for the From domain"},
	{"UserID", K_STR, O(userid), NULL, 0, 0, NULL,
	    "user[:group] to run as after opening the socket and keys"},
	{"UMask", K_OCTAL, O(umask), NULL, 0, 0777, NULL,
	    "umask for the unix socket and the pid file (octal)"},
	{"PidFile", K_STR, O(pidfile), NULL, 0, 0, NULL,
	    "file to write the process id to"},
	{"RequireSafeKeys", K_BOOL, O(requiresafekeys), "yes", 0, 0, NULL,
	    "refuse key files that group or others may read"},
	{"Syslog", K_BOOL, O(syslog), "yes", 0, 0, NULL,
	    "log to syslog (in the foreground, to stderr as well)"},
	{"SyslogFacility", K_STR, O(syslogfacility), "mail", 0, 0,
	    check_facility, "syslog facility: mail, daemon, local0..local7"},
	{"LogWhy", K_BOOL, O(logwhy), "no", 0, 0, NULL,
	    "log why each decision was taken and each result reached"},
	{"SocketUsers", K_LIST, O(socketusers), NULL, 0, 0, NULL,
	    "users whose local connections are served (default: root, "
	    "UserID, postfix, smmsp); * for any"},
	{"SocketPeers", K_STR, O(socketpeers), NULL, 0, 0, NULL,
	    "remote addresses/CIDRs that may connect (or file:/path); "
	    "default none"},
	{"MaxConnections", K_INT, O(maxconns), "1024", 1, 60000, NULL,
	    "connections served at once; more are closed at once"},
	{"MaxConnectionsPerPeer", K_INT, O(maxconnsperpeer), "512", 1, 60000,
	    NULL, "connections at once per peer user (local) or address"},
	{"MilterTimeout", K_INT, O(miltertimeout), "600", 1, 86400, NULL,
	    "seconds a connection may stay silent, or a write wait"},
	{"DNSUpdateServer", K_STR, O(dnsupdateserver), NULL, 0, 0, NULL,
	    "HOST[:PORT] of the primary that takes RFC 2136 UPDATEs of key "
	    "records (dkimtool rotate --auto)"},
	{"DNSUpdateKey", K_STR, O(dnsupdatekey), NULL, 0, 0, NULL,
	    "file with the TSIG key for DNSUpdateServer, BIND's key clause "
	    "(hmac-sha256 or hmac-sha512)"},
	{"DNSUpdateCheck", K_STR, O(dnsupdatecheck), NULL, 0, 0, NULL,
	    "HOST[:PORT] list that must answer a new record before it is "
	    "used (default: the zone's NS servers)"},
	{"DNSUpdateCommand", K_STR, O(dnsupdatecommand), NULL, 0, 0, NULL,
	    "command that publishes records instead of UPDATE: run with "
	    "ACTION NAME RECORD DOMAIN; exit 0 means done"},
	{"DNSUpdateWait", K_STR, O(dnsupdatewait), "10m", 0, 0,
	    check_duration, "how long rotate --auto waits for every server "
	    "to answer a change"},
	{"KeyRotationAge", K_STR, O(keyrotationage), "180d", 0, 0,
	    check_duration, "age of an active key at which rotate --all "
	    "replaces it (s, m, h, d, w)"},
	{"KeyRetention", K_STR, O(keyretention), "7d", 0, 0, check_duration,
	    "how long a replaced key stays published, and then revoked, "
	    "before the next step"},
};

#define NKEYWORDS	(sizeof(keywords) / sizeof(keywords[0]))

/*
 * Every keyword of opendkim.conf(5) (OpenDKIM 2.11), in one of four
 * classes (dkimd.conf(5), OPENDKIM KEYWORDS, is generated from this):
 * implemented (a row of keywords[] with OpenDKIM's meaning, or Include,
 * read by conf_line itself), accepted
 * (dkimd already behaves so: an info line), not supported (a warning
 * that says what dkimd does instead) and refused (an error: honouring it
 * silently wrong would sign, verify or deliver what the administrator
 * said not to). The note says what dkimd does instead, or why.
 */
static const struct opendkim_kw {
	const char *name;
	enum conf_odk_class cls;
	const char *note;
} opendkim[] = {
	{"ADSPAction", ODK_UNSUPPORTED,
	    "ADSP is historic (RFC 6541 moved to Historic); dkimd "
	    "takes no ADSP action"},
	{"ADSPNoSuchDomain", ODK_UNSUPPORTED,
	    "ADSP is historic; dkimd takes no ADSP action"},
	{"AllowSHA1Only", ODK_UNSUPPORTED,
	    "dkimd signs with SHA-256 only, and rsa-sha1 signatures "
	    "never pass (RFC 8301 section 3.1)"},
	{"AlwaysAddARHeader", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS; dkimd's default is yes "
	    "(OpenDKIM's no)"},
	{"AuthservID", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"AuthservIDWithJobID", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS (quoted, as RFC 8601 "
	    "needs for the '/')"},
	{"AutoRestart", ODK_ACCEPTED,
	    "the service manager restarts dkimd (dkimd.service "
	    "Restart=on-failure)"},
	{"AutoRestartCount", ODK_ACCEPTED,
	    "the service manager limits restarts (dkimd.service)"},
	{"AutoRestartRate", ODK_ACCEPTED,
	    "the service manager limits restarts (dkimd.service)"},
	{"Background", ODK_ACCEPTED,
	    "dkimd detaches unless started with -f"},
	{"BaseDirectory", ODK_REFUSED,
	    "dkimd does not change directory, so relative paths would "
	    "name other files; write absolute paths"},
	{"BodyLengthDB", ODK_UNSUPPORTED,
	    "dkimd adds l= to all mail or none (MaximumSignedBytes), "
	    "never per recipient"},
	{"BogusKey", ODK_UNSUPPORTED,
	    "dkimd does not validate DNSSEC; a key is used as the "
	    "resolver returns it"},
	{"Canonicalization", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"CaptureUnknownErrors", ODK_UNSUPPORTED,
	    "dkimd keeps no diagnostic copies; LogWhy logs the reason "
	    "of each result"},
	{"ChangeRootDirectory", ODK_REFUSED,
	    "dkimd does not chroot; confine it with dkimd.service "
	    "(its sandbox) instead of believing it is confined"},
	{"ClockDrift", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning for t= (see KEYWORDS); x= gets no drift: "
	    "an expired signature never passes"},
	{"DiagnosticDirectory", ODK_UNSUPPORTED,
	    "dkimd writes no diagnostic files; LogWhy logs the reason "
	    "of each result"},
	{"Diagnostics", ODK_UNSUPPORTED,
	    "dkimd does not add z= header copies; LogWhy logs the "
	    "reason of each result"},
	{"DisableCryptoInit", ODK_ACCEPTED,
	    "OpenSSL 3 initialises itself; dkimd never initialises it "
	    "explicitly"},
	{"DNSConnect", ODK_ACCEPTED,
	    "dkimd's resolver retries over TCP when an answer is "
	    "truncated"},
	{"DNSTimeout", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"Domain", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"DomainKeysCompat", ODK_UNSUPPORTED,
	    "DomainKeys (RFC 4870) is historic; only DKIM-Signature "
	    "is handled"},
	{"DontSignMailTo", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS: one listed envelope "
	    "recipient is enough"},
	{"EnableCoredumps", ODK_UNSUPPORTED,
	    "core dumps follow the system settings (dkimd.service); "
	    "dkimd does not change them"},
	{"ExemptDomains", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS; the domain is the author's "
	    "as the strict From parser reads it, and forged "
	    "Authentication-Results are still removed"},
	{"ExternalIgnoreList", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS: it silences the note that "
	    "an external host sent as a domain we sign for (mail from "
	    "these hosts is still verified, not signed)"},
	{"FinalPolicyScript", ODK_REFUSED,
	    "dkimd runs no Lua policy scripts; their decisions would "
	    "silently be lost"},
	{"FixCRLF", ODK_UNSUPPORTED,
	    "dkimd canonicalizes the line endings the MTA passes; no "
	    "option"},
	{"IdentityHeader", ODK_UNSUPPORTED,
	    "dkimd signs by the From address (or SenderHeaders), "
	    "never by another header"},
	{"IdentityHeaderRemove", ODK_UNSUPPORTED,
	    "dkimd reads no identity header, so removes none"},
	{"IgnoreMalformedMail", ODK_UNSUPPORTED,
	    "malformed mail is verified and gets permerror, never "
	    "skipped"},
	{"Include", ODK_IMPLEMENTED,
	    "reads the file (relative to the including file's folder) "
	    "in place; loops, more than 8 files deep or 32 in all are "
	    "errors"},
	{"InternalHosts", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"KeepAuthResults", ODK_UNSUPPORTED,
	    "dkimd removes only Authentication-Results that claim its "
	    "own AuthservID"},
	{"KeepTemporaryFiles", ODK_UNSUPPORTED,
	    "dkimd writes no temporary files"},
	{"KeyFile", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"KeyTable", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"LDAPAuthMechanism", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets; use file:, refile:, "
	    "sqlite:, mysql: or postgresql:"},
	{"LDAPAuthName", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPAuthRealm", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPAuthUser", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPBindPassword", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPBindUser", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPDisableCache", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPKeepaliveIdle", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPKeepaliveInterval", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPKeepaliveProbes", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPTimeout", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LDAPUseTLS", ODK_UNSUPPORTED,
	    "dkimd has no LDAP data sets"},
	{"LogResults", ODK_ACCEPTED,
	    "dkimd always logs each signature's d=, s=, a= and result "
	    "on the message's line; LogWhy adds the reasons"},
	{"LogWhy", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"MacroList", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS; the macros are asked for "
	    "at MAIL FROM"},
	{"MaximumHeaders", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning: another name of MaximumHeaderBytes"},
	{"MaximumSignaturesToVerify", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"MaximumSignedBytes", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"MilterDebug", ODK_UNSUPPORTED,
	    "use LogWhy"},
	{"Minimum", ODK_UNSUPPORTED,
	    "a signature whose l= leaves body bytes unsigned is "
	    "policy, see UnsignedBodyContent"},
	{"MinimumKeyBits", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"Mode", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"MTA", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"MTACommand", ODK_UNSUPPORTED,
	    "dkimd sends no mail (no reports)"},
	{"MultipleSignatures", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"MustBeSigned", ODK_REFUSED,
	    "a signature that leaves these fields unsigned would "
	    "pass; dkimd requires only From signed (RFC 6376 section "
	    "5.4)"},
	{"Nameservers", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"NoHeaderB", ODK_UNSUPPORTED,
	    "dkimd adds no X-DKIM header"},
	{"OmitHeaders", ODK_UNSUPPORTED,
	    "use SignHeaders to name the fields to sign"},
	{"On-BadSignature", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"On-Default", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"On-DNSError", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"On-InternalError", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"On-KeyNotFound", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"On-NoSignature", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"On-Security", ODK_REFUSED,
	    "dkimd has no such class; use On-BadSignature"},
	{"On-SignatureError", ODK_REFUSED,
	    "dkimd has no separate class; use On-BadSignature"},
	{"OversignHeaders", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"PeerList", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS (SocketPeers is the socket "
	    "allow-list)"},
	{"PidFile", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"POPDBFile", ODK_UNSUPPORTED,
	    "dkimd has no POP-before-SMTP list; such mail is not "
	    "signed unless MTA, InternalHosts or SignAuthenticated "
	    "says so"},
	{"Quarantine", ODK_REFUSED,
	    "failed mail would be delivered, not quarantined; use "
	    "On-BadSignature"},
	{"QueryCache", ODK_ACCEPTED,
	    "dkimd always caches key records (KeyCacheBytes)"},
	{"RedirectFailuresTo", ODK_REFUSED,
	    "failed mail would be delivered to its recipients; use "
	    "On-BadSignature"},
	{"RemoveARAll", ODK_REFUSED,
	    "foreign Authentication-Results would stay; dkimd removes "
	    "only those that claim its AuthservID"},
	{"RemoveARFrom", ODK_REFUSED,
	    "foreign Authentication-Results would stay; dkimd removes "
	    "only those that claim its AuthservID"},
	{"RemoveOldSignatures", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"ReplaceHeaders", ODK_UNSUPPORTED,
	    "dkimd rewrites no header field before signing"},
	{"ReplaceRules", ODK_UNSUPPORTED,
	    "dkimd rewrites no header field before signing"},
	{"ReportAddress", ODK_UNSUPPORTED,
	    "dkimd sends no failure reports"},
	{"ReportBccAddress", ODK_UNSUPPORTED,
	    "dkimd sends no failure reports"},
	{"RequestReports", ODK_UNSUPPORTED,
	    "dkimd requests no failure reports"},
	{"RequiredHeaders", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"RequireSafeKeys", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"ResignAll", ODK_UNSUPPORTED,
	    "dkimd signs by MTA, InternalHosts and SignAuthenticated; "
	    "verified mail is not re-signed"},
	{"ResignMailTo", ODK_UNSUPPORTED,
	    "verified mail is not re-signed"},
	{"ResolverConfiguration", ODK_UNSUPPORTED,
	    "dkimd has no libunbound; use Nameservers"},
	{"ResolverTracing", ODK_UNSUPPORTED,
	    "use LogWhy"},
	{"ScreenPolicyScript", ODK_REFUSED,
	    "dkimd runs no Lua policy scripts; their decisions would "
	    "silently be lost"},
	{"SelectCanonicalizationHeader", ODK_UNSUPPORTED,
	    "use Canonicalization"},
	{"Selector", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SenderHeaders", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SenderMacro", ODK_REFUSED,
	    "dkimd would pick the signing domain from From instead of "
	    "this macro"},
	{"SendReports", ODK_UNSUPPORTED,
	    "dkimd sends no failure reports"},
	{"SetupPolicyScript", ODK_REFUSED,
	    "dkimd runs no Lua policy scripts; their decisions would "
	    "silently be lost"},
	{"SignatureAlgorithm", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SignatureTTL", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SignHeaders", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SigningTable", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SMTPURI", ODK_UNSUPPORTED,
	    "dkimd sends no mail (no reports)"},
	{"Socket", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SoftStart", ODK_UNSUPPORTED,
	    "dkimd does not start with a data set it cannot open"},
	{"SoftwareHeader", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS (the product is dkimd)"},
	{"Statistics", ODK_UNSUPPORTED,
	    "dkimd keeps no statistics database"},
	{"StatisticsName", ODK_UNSUPPORTED,
	    "dkimd keeps no statistics database"},
	{"StatisticsPolicyScript", ODK_UNSUPPORTED,
	    "dkimd runs no Lua scripts"},
	{"StatisticsPrefix", ODK_UNSUPPORTED,
	    "dkimd keeps no statistics database"},
	{"StrictHeaders", ODK_UNSUPPORTED,
	    "dkimd signs only mail with exactly one valid From (see "
	    "On-BadAuthor), and never passes two; RequiredHeaders rejects "
	    "every wrong count"},
	{"StrictTestMode", ODK_UNSUPPORTED,
	    "dkimd has no test mode flag in the signature"},
	{"SubDomains", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"Syslog", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SyslogFacility", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"SyslogName", ODK_UNSUPPORTED,
	    "dkimd logs as dkimd"},
	{"SyslogSuccess", ODK_ACCEPTED,
	    "dkimd always logs one line per message, successes "
	    "included (the mode, why, and each signature's result)"},
	{"TemporaryDirectory", ODK_UNSUPPORTED,
	    "dkimd writes no temporary files"},
	{"TestDNSData", ODK_UNSUPPORTED,
	    "key records come from DNS (see Nameservers)"},
	{"TestPublicKeys", ODK_UNSUPPORTED,
	    "key records come from DNS (see Nameservers)"},
	{"TrustAnchorFile", ODK_UNSUPPORTED,
	    "dkimd does not validate DNSSEC"},
	{"TrustSignaturesFrom", ODK_UNSUPPORTED,
	    "ADSP is historic; dkimd reports every signature"},
	{"UMask", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"UnprotectedKey", ODK_UNSUPPORTED,
	    "dkimd does not validate DNSSEC"},
	{"UserID", ODK_IMPLEMENTED,
	    "OpenDKIM's meaning, see KEYWORDS"},
	{"VBR-Certifiers", ODK_UNSUPPORTED,
	    "dkimd does not add VBR-Info (RFC 5518)"},
	{"VBR-PurgeFields", ODK_UNSUPPORTED,
	    "dkimd does not add VBR-Info"},
	{"VBR-TrustedCertifiers", ODK_UNSUPPORTED,
	    "dkimd does not check VBR-Info"},
	{"VBR-TrustedCertifiersOnly", ODK_UNSUPPORTED,
	    "dkimd does not check VBR-Info"},
	{"VBR-Type", ODK_UNSUPPORTED,
	    "dkimd does not add VBR-Info"},
	{"WeakSyntaxChecks", ODK_UNSUPPORTED,
	    "dkimd parses signatures as RFC 6376 says; no weak mode"},
};

#define NOPENDKIM	(sizeof(opendkim) / sizeof(opendkim[0]))

static const char *const action_names[] = {
	"accept", "tempfail", "reject", "discard"
};

static const char *const facilities[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};

#define CONF_INCLUDE_DEPTH	8	/* files open at once through Include */
#define CONF_INCLUDE_FILES	32	/* files included in all */

struct loader {
	struct conf *c;
	const char *file;
	conf_report_fn report;
	void	*rarg;
	struct loader *top;		/* the loader of the main file */
	struct loader *parent;		/* the file that included this one */
	int	depth;			/* 0 for the main file */
	char	*real;			/* realpath of file, or NULL */
	/* the top loader's only: */
	const char *kwfile[NKEYWORDS];	/* file that set keyword i */
	char	*incs[CONF_INCLUDE_FILES];	/* included file names */
	size_t	nincs;
};

/* check_canon - header[/body], each simple or relaxed */
static int
check_canon(const char *v, char *why, size_t whylen)
{
	const char *s = strchr(v, '/');
	size_t	hl = s ? (size_t)(s - v) : strlen(v);

	if (((hl == 6 && strncasecmp(v, "simple", 6) == 0) ||
	    (hl == 7 && strncasecmp(v, "relaxed", 7) == 0)) &&
	    (s == NULL || strcasecmp(s + 1, "simple") == 0 ||
	    strcasecmp(s + 1, "relaxed") == 0))
		return 0;
	snprintf(why, whylen, "expected simple or relaxed, optionally "
	    "followed by /simple or /relaxed");
	return -1;
}

/* check_mode - letters s and v */
static int
check_mode(const char *v, char *why, size_t whylen)
{
	if (*v != '\0' && strspn(v, "svSV") == strlen(v))
		return 0;
	snprintf(why, whylen, "expected s, v or sv");
	return -1;
}

/* check_alg - a signing algorithm */
static int
check_alg(const char *v, char *why, size_t whylen)
{
	if (strcasecmp(v, "rsa-sha256") == 0 ||
	    strcasecmp(v, "ed25519-sha256") == 0)
		return 0;
	snprintf(why, whylen, "expected rsa-sha256 or ed25519-sha256");
	return -1;
}

/* check_facility - a syslog facility name */
static int
check_facility(const char *v, char *why, size_t whylen)
{
	const char *const *p;

	for (p = facilities; *p; p++)
		if (strcasecmp(v, *p) == 0)
			return 0;
	snprintf(why, whylen, "unknown facility (mail, daemon, user, "
	    "local0..local7)");
	return -1;
}

/*
 * check_authservid - an RFC 2045 token (RFC 8601 §2.5): a space, ';' or
 * quote in our own id would make our field unreadable, and make the
 * removal of forged ones (dkim_ar_is_ours) compare with the wrong text
 */
static int
check_authservid(const char *v, char *why, size_t whylen)
{
	if (dkim_authserv_id_valid(v))
		return 0;
	snprintf(why, whylen, "expected a token of 1 to 255 characters: no "
	    "space, control or 8-bit byte, nor any of ()<>@,;:\\\"/[]?=");
	return -1;
}

/* check_unsignedbody - pass or policy */
static int
check_unsignedbody(const char *v, char *why, size_t whylen)
{
	if (strcasecmp(v, "pass") == 0 || strcasecmp(v, "policy") == 0)
		return 0;
	snprintf(why, whylen, "expected pass or policy");
	return -1;
}

/* conf_seconds - a duration with an optional unit (conf.h) */
int
conf_seconds(const char *v, long *secs)
{
	long	s;

	if (strcasecmp(v, "off") == 0) {
		*secs = 0;
		return 0;
	}
	if (util_duration(v, &s) < 0 || s > CONF_SECONDS_MAX)
		return -1;
	*secs = s;
	return 0;
}

/* check_seconds - a duration conf_seconds() accepts */
static int
check_seconds(const char *v, char *why, size_t whylen)
{
	long	s;

	if (conf_seconds(v, &s) == 0)
		return 0;
	snprintf(why, whylen, "expected off or a number of seconds, with an "
	    "optional unit s, m, h, d or w, at most 30d");
	return -1;
}

/* check_duration - a number of seconds, or with a unit: 90s, 10m, 7d */
static int
check_duration(const char *v, char *why, size_t whylen)
{
	long	 secs;

	if (util_duration(v, &secs) == 0)
		return 0;
	snprintf(why, whylen, "expected a duration: N followed by s, m, h, "
	    "d or w (at most 10 years)");
	return -1;
}

/* check_logformat - text or json */
static int
check_logformat(const char *v, char *why, size_t whylen)
{
	if (strcasecmp(v, "text") == 0 || strcasecmp(v, "json") == 0)
		return 0;
	snprintf(why, whylen, "expected text or json");
	return -1;
}

/* check_socket - a socket specification that sock_parse() accepts */
static int
check_socket(const char *v, char *why, size_t whylen)
{
	struct sock_spec sp;

	return sock_parse(v, &sp, why, whylen);
}

/* parse_bool - yes/no/true/false/1/0 (and on/off); -1 otherwise */
static int
parse_bool(const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcmp(v, "1") || !strcasecmp(v, "on"))
		return 1;
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcmp(v, "0") || !strcasecmp(v, "off"))
		return 0;
	return -1;
}

/* set - give keyword k the text value v; -1 with why on a bad value */
static int
set(struct conf *c, const struct keyword *k, const char *v, char *why,
    size_t whylen)
{
	void	*slot = (char *)c + k->off;
	char	*end, *s, **list;
	long	n;
	size_t	i;

	switch (k->type) {
	case K_STR:
		if (k->check != NULL && k->check(v, why, whylen) < 0)
			return -1;
		if ((s = strdup(v)) == NULL)
			goto nomem;
		free(*(char **)slot);
		*(char **)slot = s;
		return 0;
	case K_BOOL:
		if ((n = parse_bool(v)) < 0) {
			snprintf(why, whylen, "expected yes or no");
			return -1;
		}
		*(int *)slot = (int)n;
		return 0;
	case K_INT:
	case K_OCTAL:
		n = strtol(v, &end, k->type == K_OCTAL ? 8 : 10);
		if (*v == '\0' || *end != '\0' || n < k->min || n > k->max) {
			snprintf(why, whylen, k->type == K_OCTAL ?
			    "expected an octal number from %lo to %lo" :
			    "expected a number from %ld to %ld", k->min, k->max);
			return -1;
		}
		*(long *)slot = n;
		return 0;
	case K_LIST:
		if ((list = util_split(v)) == NULL)
			goto nomem;
		util_strvfree(*(char ***)slot);
		*(char ***)slot = list;
		return 0;
	case K_ACTION:
		for (i = 0; i < 4; i++)
			if (strcasecmp(v, action_names[i]) == 0) {
				*(int *)slot = (int)i;
				return 0;
			}
		snprintf(why, whylen, "expected accept, tempfail, reject or "
		    "discard");
		return -1;
	}
	snprintf(why, whylen, "internal error: bad keyword type");
	return -1;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}

/* conf_defaults - a configuration with every default and no file */
struct conf *
conf_defaults(void)
{
	struct conf *c;
	char	why[256];
	size_t	i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->umask = -1;
	c->run_uid = (uid_t)-1;
	c->run_gid = (gid_t)-1;
	for (i = 0; i < CONF_ON_MAX; i++)
		c->on[i] = -1;
	for (i = 0; i < NKEYWORDS; i++)
		if (keywords[i].def != NULL &&
		    set(c, &keywords[i], keywords[i].def, why, sizeof(why)) < 0) {
			conf_free(c);
			return NULL;
		}
	return c;
}

/* opendkim_find - the row of an OpenDKIM keyword, or NULL */
static const struct opendkim_kw *
opendkim_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NOPENDKIM; i++)
		if (strcasecmp(opendkim[i].name, name) == 0)
			return &opendkim[i];
	return NULL;
}

/*
 * opendkim_line - an OpenDKIM keyword that is not a row of keywords[]:
 * 0 to go on (with an info line or a warning), 1 when refused
 */
static int
opendkim_line(struct loader *ld, int lineno, const struct opendkim_kw *o)
{
	switch (o->cls) {
	case ODK_ACCEPTED:
		util_report(ld->report, ld->rarg, 1, "%s:%d: info: OpenDKIM "
		    "keyword \"%s\" needs no setting in dkimd: %s", ld->file,
		    lineno, o->name, o->note);
		return 0;
	case ODK_REFUSED:
		util_report(ld->report, ld->rarg, 0, "%s:%d: OpenDKIM keyword "
		    "\"%s\" refused: %s", ld->file, lineno, o->name, o->note);
		return 1;
	case ODK_UNSUPPORTED:
	case ODK_IMPLEMENTED:	/* not reached: a row of keywords[] */
		break;
	}
	util_report(ld->report, ld->rarg, 1, "%s:%d: warning: OpenDKIM keyword "
	    "\"%s\" is not implemented by dkimd; ignored: %s", ld->file,
	    lineno, o->name, o->note);
	return 0;
}

static int conf_line(void *, int, char *);

/*
 * include - OpenDKIM's Include: read file v (relative to the including
 * file's folder) as if its lines stood here; its lines are reported as
 * its own FILE:LINE. A file that includes itself, directly or not, more
 * than CONF_INCLUDE_DEPTH files deep or more than CONF_INCLUDE_FILES
 * files in all is an error (a loop or a fan-out would never end).
 */
static int
include(struct loader *ld, int lineno, const char *v)
{
	struct loader in, *p, *top = ld->top;
	const char *slash = strrchr(ld->file, '/');
	char	*path;
	int	n, errors;

	if (*v == '\0') {
		util_report(ld->report, ld->rarg, 0, "%s:%d: Include: missing "
		    "value", ld->file, lineno);
		return 1;
	}
	if (ld->depth >= CONF_INCLUDE_DEPTH ||
	    top->nincs >= CONF_INCLUDE_FILES) {
		util_report(ld->report, ld->rarg, 0, "%s:%d: Include \"%s\": "
		    "more than %d files deep or %d files in all", ld->file,
		    lineno, v, CONF_INCLUDE_DEPTH, CONF_INCLUDE_FILES);
		return 1;
	}
	n = *v == '/' || slash == NULL ? 0 : (int)(slash - ld->file) + 1;
	if ((path = malloc((size_t)n + strlen(v) + 1)) == NULL) {
		util_report(ld->report, ld->rarg, 0, "%s:%d: out of memory",
		    ld->file, lineno);
		return 1;
	}
	memcpy(path, ld->file, (size_t)n);	/* the folder and its '/' */
	strcpy(path + n, v);
	top->incs[top->nincs++] = path;
	memset(&in, 0, sizeof(in));
	in.c = ld->c;
	in.file = path;
	in.report = ld->report;
	in.rarg = ld->rarg;
	in.top = top;
	in.parent = ld;
	in.depth = ld->depth + 1;
	if ((in.real = realpath(path, NULL)) != NULL)
		for (p = ld; p != NULL; p = p->parent)
			if (p->real != NULL && strcmp(p->real, in.real) == 0) {
				util_report(ld->report, ld->rarg, 0, "%s:%d: "
				    "Include \"%s\": a loop (%s is being read "
				    "already)", ld->file, lineno, v, p->file);
				free(in.real);
				return 1;
			}
	errors = util_readlines(path, conf_line, &in, ld->report, ld->rarg);
	free(in.real);
	return errors;
}

/* conf_line - one "Keyword value" line of the configuration file */
static int
conf_line(void *arg, int lineno, char *line)
{
	struct loader *ld = arg;
	const struct opendkim_kw *o;
	char	why[512], shown[512], *v = line;
	size_t	i;

	while (*v && !isspace((unsigned char)*v))
		v++;
	if (*v)
		*v++ = '\0';
	v = util_trim(v);
	if (strcasecmp(line, "Include") == 0)
		return include(ld, lineno, v);
	for (i = 0; i < NKEYWORDS; i++)
		if (strcasecmp(keywords[i].name, line) == 0)
			break;
	if (i == NKEYWORDS) {
		if ((o = opendkim_find(line)) != NULL)
			return opendkim_line(ld, lineno, o);
		util_report(ld->report, ld->rarg, 0, "%s:%d: unknown keyword "
		    "\"%s\"", ld->file, lineno, line);
		return 1;
	}
	if (*v == '\0' && keywords[i].type != K_LIST &&
	    keywords[i].type != K_STR) {
		util_report(ld->report, ld->rarg, 0, "%s:%d: %s: missing value",
		    ld->file, lineno, keywords[i].name);
		return 1;
	}
	if (set(ld->c, &keywords[i], v, why, sizeof(why)) < 0) {
		db_redact(v, shown, sizeof(shown));	/* no password */
		util_report(ld->report, ld->rarg, 0, "%s:%d: %s: \"%s\": %s",
		    ld->file, lineno, keywords[i].name, shown, why);
		return 1;
	}
	ld->c->lines[i] = lineno;
	ld->top->kwfile[i] = ld->file;
	return 0;
}

/* file_of - the file where keyword name was set (the main file if unset) */
static const char *
file_of(const struct loader *ld, const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYWORDS; i++)
		if (strcmp(keywords[i].name, name) == 0 &&
		    ld->top->kwfile[i] != NULL)
			return ld->top->kwfile[i];
	return ld->top->file;
}

/* line_of - the line where keyword name was set (0 for its default) */
static int
line_of(const struct conf *c, const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYWORDS; i++)
		if (strcmp(keywords[i].name, name) == 0)
			return c->lines[i];
	return 0;
}

/* derive_user - resolve UserID "user[:group]" */
static int
derive_user(struct loader *ld)
{
	struct conf *c = ld->c;
	struct passwd *pw;
	struct group *gr;
	char	user[256], *colon;

	if (c->userid == NULL || *c->userid == '\0')
		return 0;
	snprintf(user, sizeof(user), "%s", c->userid);
	if ((colon = strchr(user, ':')) != NULL)
		*colon++ = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		util_report(ld->report, ld->rarg, 0, "%s:%d: UserID: unknown "
		    "user \"%s\"", file_of(ld, "UserID"), line_of(c, "UserID"),
		    user);
		return 1;
	}
	c->run_uid = pw->pw_uid;
	c->run_gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon)) == NULL) {
			util_report(ld->report, ld->rarg, 0, "%s:%d: UserID: "
			    "unknown group \"%s\"", file_of(ld, "UserID"),
			    line_of(c, "UserID"), colon);
			return 1;
		}
		c->run_gid = gr->gr_gid;
	}
	return 0;
}

/* add_uid - one more SocketUsers uid */
static int
add_uid(struct conf *c, uid_t uid)
{
	uid_t	*v;
	size_t	i;

	for (i = 0; i < c->nsock_uids; i++)
		if (c->sock_uids[i] == uid)
			return 0;
	if ((v = realloc(c->sock_uids, (c->nsock_uids + 1) * sizeof(*v))) ==
	    NULL)
		return -1;
	c->sock_uids = v;
	c->sock_uids[c->nsock_uids++] = uid;
	return 0;
}

/* derive_sockusers - resolve SocketUsers, or make the default set:
 * root, UserID (or the user loading this), postfix and smmsp */
static int
derive_sockusers(struct loader *ld)
{
	static const char *const mtas[] = {"postfix", "smmsp", NULL};
	struct conf *c = ld->c;
	struct passwd *pw;
	char	**p, *end;
	unsigned long n;
	size_t	i;
	int	r = 0;

	if (c->socketusers == NULL) {
		r |= add_uid(c, 0);
		r |= add_uid(c, c->run_uid != (uid_t)-1 ? c->run_uid :
		    geteuid());
		for (i = 0; mtas[i] != NULL; i++)
			if ((pw = getpwnam(mtas[i])) != NULL)
				r |= add_uid(c, pw->pw_uid);
		goto out;
	}
	for (p = c->socketusers; *p; p++) {
		if (strcmp(*p, "*") == 0) {
			c->sock_anyuser = 1;
			continue;
		}
		n = strtoul(*p, &end, 10);
		if ((pw = getpwnam(*p)) != NULL)
			r |= add_uid(c, pw->pw_uid);
		else if (**p >= '0' && **p <= '9' && *end == '\0' &&
		    n < (uid_t)-1)
			r |= add_uid(c, (uid_t)n);
		else {
			util_report(ld->report, ld->rarg, 0, "%s:%d: "
			    "SocketUsers: unknown user \"%s\"",
			    file_of(ld, "SocketUsers"), line_of(c, "SocketUsers"),
			    *p);
			return 1;
		}
	}
out:
	if (r != 0)
		util_report(ld->report, ld->rarg, 0, "%s: out of memory",
		    ld->file);
	return r != 0;
}

/* derive_simple - fill mode, canonicalization and authserv-id */
static int
derive_simple(struct loader *ld)
{
	struct conf *c = ld->c;
	char	host[HOST_NAME_MAX + 1];
	const char *slash;

	c->sign = strpbrk(c->mode, "sS") != NULL;
	c->verify = strpbrk(c->mode, "vV") != NULL;
	c->hcanon = strncasecmp(c->canonicalization, "relaxed", 7) == 0 ?
	    DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	slash = strchr(c->canonicalization, '/');
	c->bcanon = slash != NULL && strcasecmp(slash + 1, "relaxed") == 0 ?
	    DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	if (c->authservid == NULL || *c->authservid == '\0') {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		free(c->authservid);
		if ((c->authservid = strdup(host)) == NULL) {
			util_report(ld->report, ld->rarg, 0, "%s: out of memory",
			    ld->file);
			return 1;
		}
		if (!dkim_authserv_id_valid(c->authservid)) {
			util_report(ld->report, ld->rarg, 0, "%s: AuthservID: "
			    "the host name is not a token; set AuthservID",
			    ld->file);
			return 1;
		}
	}
	c->unsigned_ok = strcasecmp(c->unsignedbody, "pass") == 0;
	return derive_user(ld) + derive_sockusers(ld);
}

/* check_bits - every RSA signing key must have MinimumKeyBits */
static int
check_bits(struct loader *ld, const struct table *kt)
{
	size_t	i;
	int	errors = 0;

	for (i = 0; kt != NULL && i < kt->n; i++) {
		const struct keytab_entry *e = &kt->keys[i];

		if (e->pct != NULL)	/* checked as each key is read */
			keypct_set_minbits(e->pct, (unsigned)ld->c->minkeybits);
		if (e->key != NULL && dkim_key_alg(e->key) == DKIM_ALG_RSA_SHA256 &&
		    dkim_key_bits(e->key) < (unsigned)ld->c->minkeybits) {
			util_report(ld->report, ld->rarg, 0, "%s:%d: key file %s: "
			    "%u bits, below MinimumKeyBits %ld", e->file,
			    e->line, e->keypath, dkim_key_bits(e->key),
			    ld->c->minkeybits);
			errors++;
		}
	}
	return errors;
}

/*
 * keyfile_subdomains - SubDomains with the KeyFile shortcut, OpenDKIM's
 * meaning: a From domain below a Domain signs with d= that Domain. Each
 * Domain gets a key entry of its own (the same key, one more reference)
 * and a ".domain" pattern, which a file: lookup tries for every parent
 * of the From domain (table.h). Called before table_link(): the entries
 * move when the arrays grow.
 */
static int
keyfile_subdomains(struct loader *ld)
{
	struct conf *c = ld->c;
	struct table *kt = c->keytab, *st = c->signtab;
	struct keytab_entry *k;
	struct signtab_entry *e;
	size_t	n = util_strvlen(c->domain), i;

	if (kt->keys[0].key == NULL) {
		util_report(ld->report, ld->rarg, 1, "%s:%d: warning: "
		    "SubDomains: a KeyFile with '%%' signs no subdomains",
		    file_of(ld, "SubDomains"), line_of(c, "SubDomains"));
		return 0;
	}
	if ((k = realloc(kt->keys, (kt->n + n) * sizeof(*k))) == NULL)
		goto nomem;
	kt->keys = k;
	if ((e = realloc(st->signs, (st->n + n) * sizeof(*e))) == NULL)
		goto nomem;
	st->signs = e;
	for (i = 0; i < n; i++) {
		k = &kt->keys[kt->n];
		e = &st->signs[st->n];
		memset(k, 0, sizeof(*k));
		memset(e, 0, sizeof(*e));
		kt->n++;
		st->n++;
		k->file = kt->file;
		k->line = e->line = line_of(c, "SubDomains");
		k->key = dkim_key_ref(kt->keys[0].key);
		if ((k->name = malloc(strlen(c->domain[i]) + 2)) == NULL)
			goto nomem;
		sprintf(k->name, ".%s", c->domain[i]);
		util_lower(k->name);
		if ((k->domain = strdup(k->name + 1)) == NULL ||
		    (k->selector = strdup(c->selector)) == NULL ||
		    (k->keypath = strdup(c->keyfile)) == NULL ||
		    (e->pattern = strdup(k->name)) == NULL ||
		    (e->keyname = strdup(k->name)) == NULL)
			goto nomem;
	}
	return 0;
nomem:
	util_report(ld->report, ld->rarg, 0, "%s: out of memory", ld->file);
	return 1;
}

/* load_keyfile - the Domain/Selector/KeyFile shortcut, as two tables */
static int
load_keyfile(struct loader *ld, uid_t safe)
{
	struct conf *c = ld->c;
	size_t	n, i;
	int	errors;

	if (c->selector == NULL || util_strvlen(c->domain) == 0) {
		util_report(ld->report, ld->rarg, 0, "%s:%d: KeyFile needs "
		    "Domain and Selector (or use KeyTable and SigningTable)",
		    file_of(ld, "KeyFile"), line_of(c, "KeyFile"));
		return 1;
	}
	n = util_strvlen(c->domain);
	errors = 0;
	/* The tables an OpenDKIM user would have written by hand. */
	if ((c->keytab = calloc(1, sizeof(*c->keytab))) == NULL ||
	    (c->signtab = calloc(1, sizeof(*c->signtab))) == NULL ||
	    (c->keytab->keys = calloc(1, sizeof(*c->keytab->keys))) == NULL ||
	    (c->signtab->signs = calloc(n, sizeof(*c->signtab->signs))) == NULL)
		goto nomem;
	c->keytab->is_keys = 1;
	if ((c->keytab->file = strdup(file_of(ld, "KeyFile"))) == NULL ||
	    (c->signtab->file = strdup(file_of(ld, "Domain"))) == NULL)
		goto nomem;
	c->keytab->n = 1;
	c->keytab->keys[0].file = c->keytab->file;
	c->keytab->keys[0].line = line_of(c, "KeyFile");
	if ((c->keytab->keys[0].name = strdup("default")) == NULL ||
	    (c->keytab->keys[0].domain = strdup("%")) == NULL ||
	    (c->keytab->keys[0].selector = strdup(c->selector)) == NULL ||
	    (c->keytab->keys[0].keypath = strdup(c->keyfile)) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		c->signtab->signs[i].line = line_of(c, "Domain");
		c->signtab->n++;
		if ((c->signtab->signs[i].pattern = strdup(c->domain[i])) ==
		    NULL || (c->signtab->signs[i].keyname = strdup("default"))
		    == NULL)
			goto nomem;
		util_lower(c->signtab->signs[i].pattern);
	}
	errors += table_keyload(c->keytab, &c->keytab->keys[0], safe,
	    ld->report, ld->rarg);
	/* a KeyFile with '%' reads its keys later (keypct.h): no check */
	if (errors == 0 && c->sigalg != NULL && c->keytab->keys[0].key != NULL &&
	    strcasecmp(dkim_alg_name(dkim_key_alg(c->keytab->keys[0].key)),
	    c->sigalg) != 0) {
		util_report(ld->report, ld->rarg, 0, "%s:%d: SignatureAlgorithm "
		    "%s does not match the key in %s",
		    file_of(ld, "SignatureAlgorithm"),
		    line_of(c, "SignatureAlgorithm"), c->sigalg, c->keyfile);
		errors++;
	}
	if (errors == 0 && c->subdomains)
		errors += keyfile_subdomains(ld);
	return errors + table_link(c->signtab, c->keytab, ld->report, ld->rarg);
nomem:
	util_report(ld->report, ld->rarg, 0, "%s: out of memory", ld->file);
	return 1;
}

/* warn_secrets - a database password others may read (db.h), once */
static void
warn_secrets(struct loader *ld)
{
	struct table *t[2] = { ld->c->keytab, ld->c->signtab };
	char	why[2][640];
	int	i;

	for (i = 0; i < 2; i++)
		if (t[i] == NULL || t[i]->db == NULL ||
		    !db_secret_warning(t[i]->db, ld->file, why[i],
		    sizeof(why[i])))
			why[i][0] = '\0';
		else if (i == 0 || strcmp(why[0], why[1]) != 0)
			util_report(ld->report, ld->rarg, 1, "%s: warning: %s",
			    ld->file, why[i]);
}

/*
 * load_authz - SenderAuthorization: a data set, or "none" (OpenDKIM's
 * behaviour, which lets any sender sign as any domain: said at start-up)
 */
static int
load_authz(struct loader *ld)
{
	struct conf *c = ld->c;

	if (c->senderauthz == NULL || *c->senderauthz == '\0')
		return 0;
	if (strcasecmp(c->senderauthz, "none") == 0) {
		c->authz_none = 1;
		util_report(ld->report, ld->rarg, 1, "%s:%d: warning: "
		    "SenderAuthorization none: any sender may sign as any "
		    "domain it puts in From (OpenDKIM's behaviour)",
		    file_of(ld, "SenderAuthorization"),
		    line_of(c, "SenderAuthorization"));
		return 0;
	}
	if ((c->authz = authz_load(c->senderauthz, ld->report, ld->rarg)) ==
	    NULL)
		return 1;
	return 0;
}

/*
 * load_macros - MacroList: each name a macro name ("{name}", "name" or one
 * letter); OpenDKIM's "name|value" is refused with a hint, since it would
 * name a macro that no MTA sends and so silently never sign
 */
static int
load_macros(struct loader *ld)
{
	struct conf *c = ld->c;
	const char *k;
	size_t	i;

	if (c->macrolist == NULL || *c->macrolist == '\0')
		return 0;
	if ((c->macros = dset_load("MacroList", c->macrolist, ld->report,
	    ld->rarg)) == NULL)
		return 1;
	for (i = 0; i < dset_count(c->macros); i++) {
		k = dset_key(c->macros, i);
		if (strspn(k, "{}_abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(k) ||
		    strlen(k) > 64) {
			util_report(ld->report, ld->rarg, 0, "%s:%d: MacroList: "
			    "\"%.80s\" is not a macro name (write NAME or "
			    "NAME=VALUE1|VALUE2)", file_of(ld, "MacroList"),
			    line_of(c, "MacroList"), k);
			return 1;
		}
	}
	return 0;
}

/*
 * load_arckey - ARCSealMTA needs ARCKey, and ARCKey names a KeyTable
 * entry of one fixed domain whose key is loaded now: a seal key that is
 * missing is refused at load, not found missing on the first message
 */
static int
load_arckey(struct loader *ld)
{
	struct conf *c = ld->c;
	const struct keytab_entry *e;

	if (c->arckey == NULL) {
		if (c->arcsealmta == NULL)
			return 0;
		util_report(ld->report, ld->rarg, 0, "%s:%d: ARCSealMTA needs "
		    "ARCKey", file_of(ld, "ARCSealMTA"),
		    line_of(c, "ARCSealMTA"));
		return 1;
	}
	if (c->keytab == NULL || c->keytab->db != NULL ||
	    (e = table_key(c->keytab, c->arckey)) == NULL ||
	    e->key == NULL || strcmp(e->domain, "%") == 0) {
		util_report(ld->report, ld->rarg, 0, "%s:%d: ARCKey \"%s\": "
		    "no such key in a file KeyTable (a key of one domain, "
		    "loaded at start)", file_of(ld, "ARCKey"),
		    line_of(c, "ARCKey"), c->arckey);
		return 1;
	}
	c->arc_key = e;
	return 0;
}

/* load_tables - KeyTable, SigningTable (or KeyFile), InternalHosts */
static int
load_tables(struct loader *ld)
{
	struct conf *c = ld->c;
	uid_t	safe = c->requiresafekeys ?
	    (c->run_uid != (uid_t)-1 ? c->run_uid : geteuid()) : (uid_t)-1;
	int	errors = 0;

	if (c->internalhosts != NULL && *c->internalhosts != '\0' &&
	    (c->internal = hosts_load(c->internalhosts, ld->report,
	    ld->rarg)) == NULL)
		errors++;
	if (c->peerlist != NULL && *c->peerlist != '\0' &&
	    (c->peers = hosts_load_as("PeerList", c->peerlist, ld->report,
	    ld->rarg)) == NULL)
		errors++;
	if (c->externalignorelist != NULL && *c->externalignorelist != '\0' &&
	    (c->exignore = hosts_load_as("ExternalIgnoreList",
	    c->externalignorelist, ld->report, ld->rarg)) == NULL)
		errors++;
	if (c->socketpeers != NULL && *c->socketpeers != '\0' &&
	    (c->sockpeers = hosts_load_as("SocketPeers", c->socketpeers,
	    ld->report, ld->rarg)) == NULL)
		errors++;
	errors += load_authz(ld);
	if (c->exemptdomains != NULL && *c->exemptdomains != '\0' &&
	    (c->exempt = dset_load("ExemptDomains", c->exemptdomains,
	    ld->report, ld->rarg)) == NULL)
		errors++;
	if (c->dontsignmailto != NULL && *c->dontsignmailto != '\0' &&
	    (c->dontsignto = dset_load("DontSignMailTo", c->dontsignmailto,
	    ld->report, ld->rarg)) == NULL)
		errors++;
	errors += load_macros(ld);
	if ((c->keytable == NULL) != (c->signingtable == NULL)) {
		util_report(ld->report, ld->rarg, 0, "%s:%d: KeyTable and "
		    "SigningTable go together",
		    file_of(ld, c->keytable ? "KeyTable" : "SigningTable"),
		    line_of(c, c->keytable ? "KeyTable" : "SigningTable"));
		return errors + 1;
	}
	if (c->keytable != NULL) {
		if (c->keyfile != NULL)
			util_report(ld->report, ld->rarg, 1, "%s:%d: warning: "
			    "KeyFile ignored, KeyTable is set",
			    file_of(ld, "KeyFile"), line_of(c, "KeyFile"));
		if ((c->keytab = table_load_keys(c->keytable, safe, ld->report,
		    ld->rarg)) == NULL)
			errors++;
		if ((c->signtab = table_load_signing(c->signingtable,
		    ld->report, ld->rarg)) == NULL)
			errors++;
		if (c->keytab != NULL && c->signtab != NULL)
			errors += table_link(c->signtab, c->keytab, ld->report,
			    ld->rarg);
		warn_secrets(ld);
		errors += load_arckey(ld);
	} else if (c->keyfile != NULL)
		errors += load_keyfile(ld, safe);
	else if (c->sign)
		util_report(ld->report, ld->rarg, 1, "%s: warning: Mode includes "
		    "s but no KeyTable or KeyFile: nothing will be signed",
		    ld->file);
	if (c->keytable == NULL && (c->arckey != NULL ||
	    c->arcsealmta != NULL))
		errors += load_arckey(ld);
	return errors + check_bits(ld, c->keytab);
}

/* conf_load - read a configuration file, its tables and its keys */
struct conf *
conf_load(const char *path, conf_report_fn report, void *arg)
{
	struct loader ld;
	size_t	i;
	int	errors;

	memset(&ld, 0, sizeof(ld));
	ld.file = path;
	ld.report = report;
	ld.rarg = arg;
	ld.top = &ld;
	ld.real = realpath(path, NULL);	/* NULL: util_readlines says why */
	if ((ld.c = conf_defaults()) == NULL) {
		util_report(report, arg, 0, "%s: out of memory", path);
		return NULL;
	}
	if ((ld.c->path = strdup(path)) == NULL) {
		util_report(report, arg, 0, "%s: out of memory", path);
		goto fail;
	}
	errors = util_readlines(path, conf_line, &ld, report, arg);
	if (errors == 0)
		errors += derive_simple(&ld);
	if (errors == 0)
		errors += load_tables(&ld);
	if (errors == 0)
		goto done;
fail:
	conf_free(ld.c);
	ld.c = NULL;
done:
	for (i = 0; i < ld.nincs; i++)
		free(ld.incs[i]);
	free(ld.real);
	return ld.c;
}

/* conf_free - free a configuration, its tables and keys; NULL is a no-op */
void
conf_free(struct conf *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < NKEYWORDS; i++) {
		void	*slot = (char *)c + keywords[i].off;

		if (keywords[i].type == K_STR)
			free(*(char **)slot);
		else if (keywords[i].type == K_LIST)
			util_strvfree(*(char ***)slot);
	}
	table_free(c->keytab);
	table_free(c->signtab);
	hosts_free(c->internal);
	hosts_free(c->peers);
	hosts_free(c->exignore);
	hosts_free(c->sockpeers);
	free(c->sock_uids);
	authz_free(c->authz);
	dset_free(c->exempt);
	dset_free(c->dontsignto);
	dset_free(c->macros);
	free(c->path);
	free(c);
}

/* conf_action - the action for situation on (On-Default when unset) */
enum conf_action
conf_action(const struct conf *c, enum conf_on on)
{
	if (on < 0 || on >= CONF_ON_MAX || c->on[on] < 0)
		return (enum conf_action)(c->on[CONF_ON_DEFAULT] < 0 ?
		    CONF_ACT_ACCEPT : c->on[CONF_ON_DEFAULT]);
	return (enum conf_action)c->on[on];
}

/* conf_action_name - the keyword of an action */
const char *
conf_action_name(enum conf_action a)
{
	return (unsigned)a < 4 ? action_names[a] : "accept";
}

/* listed - 1 when name is in the NULL-terminated list (NULL: empty) */
static int
listed(char **list, const char *name)
{
	char	**p;

	if (name == NULL)
		return 0;
	for (p = list; p != NULL && *p; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

/* conf_mta_match - 1 when daemon_name is in the MTA list */
int
conf_mta_match(const struct conf *c, const char *daemon_name)
{
	return listed(c->mta, daemon_name);
}

/* conf_arc_seal - 1 when mail of daemon_name is to be ARC-sealed */
int
conf_arc_seal(const struct conf *c, const char *daemon_name)
{
	return c->arc_key != NULL && listed(c->arcsealmta, daemon_name);
}

/* conf_socket_user - 1 when uid may talk to the milter socket */
int
conf_socket_user(const struct conf *c, uid_t uid)
{
	size_t	i;

	if (c->sock_anyuser)
		return 1;
	for (i = 0; i < c->nsock_uids; i++)
		if (c->sock_uids[i] == uid)
			return 1;
	return 0;
}

/* conf_keyword_count - number of keywords */
size_t
conf_keyword_count(void)
{
	return NKEYWORDS;
}

/* conf_keyword_get - description of keyword n, NULL past the end */
const struct conf_keyword_info *
conf_keyword_get(size_t n)
{
	static const char *const tnames[] = {
		"string", "boolean", "integer", "octal", "list", "action"
	};
	static __thread struct conf_keyword_info info;

	if (n >= NKEYWORDS)
		return NULL;
	info.name = keywords[n].name;
	info.type = tnames[keywords[n].type];
	info.def = keywords[n].def ? keywords[n].def : "";
	info.doc = keywords[n].doc;
	return &info;
}

/* conf_opendkim_get - class of OpenDKIM keyword n, NULL past the end */
const struct conf_opendkim_info *
conf_opendkim_get(size_t n)
{
	static const char *const cnames[] = {
		[ODK_IMPLEMENTED] = "implemented",
		[ODK_ACCEPTED] = "accepted",
		[ODK_UNSUPPORTED] = "not-supported",
		[ODK_REFUSED] = "refused"
	};
	static __thread struct conf_opendkim_info info;

	if (n >= NOPENDKIM)
		return NULL;
	info.name = opendkim[n].name;
	info.cls = opendkim[n].cls;
	info.class_name = cnames[opendkim[n].cls];
	info.note = opendkim[n].note;
	return &info;
}

_Static_assert(sizeof(keywords) / sizeof(keywords[0]) <=
    sizeof(((struct conf *)0)->lines) / sizeof(int), "lines[] too small");
