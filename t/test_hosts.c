/*
 * test_hosts.c - InternalHosts address lists (hosts.c)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "hosts.h"
#include "tap.h"

#ifndef DATA
#define DATA "t/data/milter"
#endif

static char lastmsg[512];

static void
report(void *arg, int warn, const char *msg)
{
	(void)arg;
	(void)warn;
	snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
}

int
main(void)
{
	struct hosts *h;
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	plan_lazy();
	h = hosts_load("192.0.2.0/24, !198.51.100.7 198.51.100.0/24 ::1 2001:db8::/32",
	    report, NULL);
	ok(h != NULL && hosts_count(h) == 5, "inline: five entries, commas or spaces");
	ok(hosts_match_text(h, "192.0.2.200"), "inline: address inside an IPv4 /24");
	ok(!hosts_match_text(h, "192.0.3.1"), "inline: address outside the /24");
	ok(hosts_match_text(h, "198.51.100.8"), "inline: a block after an exclusion");
	ok(!hosts_match_text(h, "198.51.100.7"), "inline: !address before a block excludes it");
	ok(hosts_match_text(h, "IPv6:::1"), "inline: Sendmail's IPv6: prefix is understood");
	ok(hosts_match_text(h, "2001:db8:1::5"), "inline: address inside an IPv6 /32");
	ok(!hosts_match_text(h, "2001:db9::1"), "inline: IPv6 outside the /32");
	ok(hosts_match_text(h, "::ffff:192.0.2.1"), "inline: IPv4-mapped IPv6 is the IPv4 address");
	ok(!hosts_match_text(h, "127.0.0.1"), "inline: loopback is not listed, not trusted");
	ok(!hosts_match_text(h, "not-an-address"), "inline: garbage matches nothing");

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.9", &s4.sin_addr);
	ok(hosts_match(h, (struct sockaddr *)&s4), "sockaddr: IPv4 client address matches");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	ok(hosts_match(h, (struct sockaddr *)&s6), "sockaddr: IPv6 client address matches");
	ok(!hosts_match(h, NULL), "sockaddr: no address, no match");
	hosts_free(h);

	h = hosts_load("file:" DATA "/hosts.list", report, NULL);
	ok(h != NULL && hosts_count(h) == 4, "file: entries on several lines, comments skipped");
	ok(!hosts_match_text(h, "10.1.2.3") && hosts_match_text(h, "10.1.2.4"),
	    "file: exclusion then /8 block");
	ok(hosts_match_text(h, "192.168.1.1") && !hosts_match_text(h, "192.168.1.2"),
	    "file: a single address is a /32");
	hosts_free(h);

	ok(hosts_load("10.0.0.0/33", report, NULL) == NULL &&
	    strstr(lastmsg, "\"10.0.0.0/33\"") != NULL, "errors: IPv4 prefix over 32 refused");
	ok(hosts_load("mail.example.com", report, NULL) == NULL &&
	    strstr(lastmsg, "host names are not supported") != NULL,
	    "errors: host names refused (no DNS to decide trust)");
	ok(hosts_load("10.0.0.0/", report, NULL) == NULL, "errors: empty prefix refused");
	ok(hosts_load("/nonexistent/hosts", report, NULL) == NULL,
	    "errors: missing file is an error");

	/* OpenDKIM's precedence: the most precise entry, not the first */
	h = hosts_load("10.0.0.0/8, !10.1.0.0/16", report, NULL);
	ok(h != NULL && !hosts_match_text(h, "10.1.2.3") &&
	    hosts_match_text(h, "10.2.3.4"),
	    "attack: an exclusion after a wider block still excludes (most precise wins)");
	hosts_free(h);
	h = hosts_load("!10.1.0.0/16, 10.0.0.0/8, 10.1.2.3", report, NULL);
	ok(h != NULL && hosts_match_text(h, "10.1.2.3") &&
	    !hosts_match_text(h, "10.1.2.4") && hosts_match_text(h, "10.9.9.9"),
	    "a single address inside an excluded block is in: it is more precise");
	hosts_free(h);
	h = hosts_load("10.0.0.1, !10.0.0.1", report, NULL);
	ok(h != NULL && !hosts_match_text(h, "10.0.0.1"),
	    "of two entries equally precise, the exclusion wins");
	hosts_free(h);

	h = hosts_load("refile:" DATA "/hosts.re", report, NULL);
	ok(h != NULL && hosts_match_text(h, "192.168.1.1") &&
	    !hosts_match_text(h, "192.168.7.5"),
	    "refile: a pattern over the address text, its exclusion too");
	ok(h != NULL && hosts_match_text(h, "2001:db8::1") &&
	    hosts_match_text(h, "10.7.7.7") && !hosts_match_text(h, "172.16.0.1"),
	    "refile: IPv6 patterns in lower case, CIDR entries beside them");
	ok(h != NULL && hosts_match_text(h, "::ffff:192.168.1.1"),
	    "refile: an IPv4-mapped address is matched as IPv4 text");
	hosts_free(h);
	ok(hosts_load("refile:" DATA "/hosts-name.re", report, NULL) == NULL &&
	    strstr(lastmsg, "host names are not supported") != NULL,
	    "refile: a host name pattern is refused (no DNS to decide trust)");
	ok(hosts_load("192.168.*", report, NULL) == NULL,
	    "a pattern outside refile: is refused");

	h = hosts_load("", report, NULL);
	ok(h != NULL && hosts_count(h) == 0 && !hosts_match_text(h, "10.0.0.1"),
	    "empty list: valid, matches nothing");
	hosts_free(h);
	hosts_free(NULL);
	return done_testing();
}
