/*
 * fuzz_msg.c - libFuzzer target: whole messages through the verifier
 *
 * Any bytes as a message (header, empty line, body), verified against
 * the RFC 8463 key records served from memory, with a fixed clock; the
 * Authentication-Results value is built for every outcome. Seeds are
 * signed messages, so mutations reach deep into verification.
 */
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "msgutil.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static dkim_ctx *ctx;
static struct records rec;
static time_t now = 1700000000;

/* setup - one context for the whole run */
static void
setup(void)
{
	ctx = dkim_ctx_new();
	records_load(&rec, VECTORS "/rfc8463/records.txt");
	records_add(&rec, "tmp._domainkey.football.example.com", "",
	    DKIM_DNS_TEMPFAIL);
	dkim_ctx_set_keysource(ctx, records_source, &rec);
	dkim_ctx_set_clock(ctx, fixed_clock, &now);
	dkim_ctx_set_limits(ctx, 0, 64 * 1024, 0, 0);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	dkim_msg *m;
	size_t i, n;
	char *ar;

	if (ctx == NULL)
		setup();
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	if (feed(m, (const char *)data, size, size > 1 ? size / 2 : 1) ==
	    DKIM_OK) {
		n = dkim_result_count(m);
		for (i = 0; i < n; i++)
			if (dkim_result_get(m, i) == NULL)
				abort();
		ar = dkim_ar_value(m, "mx.example.org");
		if (ar == NULL || strchr(ar, '\0') != ar + strlen(ar))
			abort();
		free(ar);
	}
	dkim_msg_free(m);
	return 0;
}
