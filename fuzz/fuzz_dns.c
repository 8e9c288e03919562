/*
 * fuzz_dns.c - libFuzzer target: DNS answers to a key query
 *
 * Any bytes as the DNS message that answers "TXT sel._domainkey.
 * example.com" (or, when the first byte is odd, a name that the seeds'
 * CNAMEs point to): dk_dns_parse_answer() must return one of the four
 * statuses, a record only with DKIM_DNS_OK, never one with a NUL byte,
 * and a TTL within the cache's bounds (one day). Seeds come from
 * fuzz/corpus/dns/make-seeds.py, the answers that t/dnsfake.py gives.
 */
#include <stdlib.h>
#include <string.h>

#include "dk.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	enum dkim_dns_status st;
	const char *qname;
	char	*txt = (char *)1, reason[128];	/* txt must be set */
	unsigned ttl = 0;

	qname = size > 3 && (data[3] & 1) ? "target.example.net" :
	    "sel._domainkey.example.com";
	reason[0] = '\0';
	st = dk_dns_parse_answer(data, size, qname, &txt, &ttl, reason,
	    sizeof(reason));
	switch (st) {
	case DKIM_DNS_OK:
		if (txt == NULL || strlen(txt) > 65535)
			abort();
		break;
	case DKIM_DNS_NOKEY:
	case DKIM_DNS_TEMPFAIL:
	case DKIM_DNS_BAD:
		if (txt != NULL || reason[0] == '\0')
			abort();	/* a failure always says why */
		break;
	default:
		abort();
	}
	if (ttl > 86400 || memchr(reason, '\0', sizeof(reason)) == NULL)
		abort();
	free(txt);
	return 0;
}
