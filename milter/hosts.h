/*
 * hosts.h - InternalHosts: a list of IPv4/IPv6 addresses and CIDR blocks
 *
 * SYNOPSIS
 *	hosts_load(spec, report, arg)	"a, b/len ..." or file:/path, refile:
 *	hosts_load_as(name, spec, report, arg)	the same, errors in an
 *					inline list named for keyword name
 *	hosts_match(h, sa)		1 when the client address is listed
 *	hosts_match_text(h, text)	the same for "1.2.3.4", "IPv6:::1"
 *	hosts_free(h)
 *
 * CONTRACT
 *	An entry is an address or address/prefix; "!" before it excludes.
 *	As in OpenDKIM's lists (opendkim.conf(5), PeerList), the most
 *	precise entry that covers an address decides, wherever it stands:
 *	"10.0.0.0/8, !10.1.0.0/16" leaves 10.1.x.x out; of two entries
 *	equally precise, the exclusion wins. In a refile: data set an
 *	entry may also be a pattern over the address's text (IPv4 dotted,
 *	IPv6 in lower case, RFC 5952), '*' any run, such as "192.168.*";
 *	a pattern is as precise as a whole address. Host names are
 *	refused: dkimd does no DNS to decide whom it trusts. A file holds
 *	entries one per line or separated by commas. Errors are
 *	reported as "FILE:LINE: ..." (or "SPEC: ..." inline); NULL then.
 *	An empty list is a valid list that matches nothing.
 *
 * OWNERSHIP
 *	The caller frees the result with hosts_free().
 */
#ifndef HOSTS_H
#define HOSTS_H

#include <sys/socket.h>

#include "conf.h"

#define HOSTS_MAX	10000

struct hosts;

struct hosts *hosts_load(const char *spec, conf_report_fn report, void *arg);
struct hosts *hosts_load_as(const char *name, const char *spec,
	    conf_report_fn report, void *arg);
int	hosts_match(const struct hosts *, const struct sockaddr *sa);
int	hosts_match_text(const struct hosts *, const char *addr);
size_t	hosts_count(const struct hosts *);
void	hosts_free(struct hosts *);

#endif /* HOSTS_H */
