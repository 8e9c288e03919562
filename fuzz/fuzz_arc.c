/*
 * fuzz_arc.c - libFuzzer target: ARC chains validated, then sealed
 *
 * Any bytes as a message, verified with the key records of the ARC
 * validation suite served from memory (t/data/arc/records.txt) and a
 * fixed clock; seeds are the suite's chains, so mutations reach the
 * seal and AMS checks. Then the message is sealed with an Ed25519 key
 * made at start-up and published beside them, and the sealed copy is
 * verified again. What must hold:
 *	- the result is none, pass or fail, with a reason when it fails;
 *	- the Authentication-Results value is made and terminated;
 *	- a chain that passed, sealed by us, passes again; a chain that
 *	  failed, sealed by us (cv=fail), fails and may not be continued;
 *	- a chain already sealed cv=fail is never sealed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "msgutil.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define HEADER_MAX	(64 * 1024)

static dkim_ctx *ctx;
static dkim_key *key;
static struct records rec;
static time_t now = 1700000000;

/* setup - one context and one sealing key for the whole run */
static void
setup(void)
{
	ctx = dkim_ctx_new();
	records_load(&rec, ARCDATA "/records.txt");
	key = new_key("ED25519");
	if (ctx == NULL || key == NULL)
		abort();
	records_publish(&rec, key, "fz", "fuzz.example");
	dkim_ctx_set_keysource(ctx, records_source, &rec);
	dkim_ctx_set_clock(ctx, fixed_clock, &now);
	dkim_ctx_set_limits(ctx, 0, HEADER_MAX, 0, 0);
}

/* check - the invariants of one verified message's chain */
static void
check(dkim_msg *m)
{
	const struct dkim_arcresult *a = dkim_arc_get(m);
	char *ar;

	if (a == NULL || a->result > DKIM_ARC_FAIL || a->reason == NULL ||
	    a->as_domain == NULL || a->as_selector == NULL)
		abort();
	if (a->result == DKIM_ARC_FAIL && a->reason[0] == '\0')
		abort();
	if (a->instances > DKIM_ARC_MAX)
		abort();
	if ((ar = dkim_ar_value_client(m, "mx.example.org", "192.0.2.1")) ==
	    NULL)
		abort();
	free(ar);
}

/* reseal - seal m's message (msg), verify the copy: what it must give */
static void
reseal(dkim_msg *m, const char *msg, size_t len)
{
	const struct dkim_arcresult *a = dkim_arc_get(m);
	struct dkim_arcspec sp = { "fuzz.example", "fz", NULL,
	    "mx.fuzz.example; arc=none", NULL };
	enum dkim_arc_result before = a->result;
	int sealed_fail = a->sealed_fail, i;
	char *f[3], *copy;
	size_t n;
	dkim_msg *v;

	sp.key = key;
	if (dkim_arc_seal(m, &sp, f) != DKIM_OK) {
		/* refused: only a chain that may not be continued */
		if (!sealed_fail && a->instances < DKIM_ARC_MAX)
			abort();
		return;
	}
	if (sealed_fail)
		abort();	/* a chain sealed cv=fail is never continued */
	n = len + strlen(f[0]) + strlen(f[1]) + strlen(f[2]) + 128;
	if ((copy = malloc(n)) == NULL)
		abort();
	n = (size_t)snprintf(copy, n, "%s:%s\r\n%s:%s\r\n%s:%s\r\n",
	    dkim_arc_field_name(0), f[0], dkim_arc_field_name(1), f[1],
	    dkim_arc_field_name(2), f[2]);
	memcpy(copy + n, msg, len);
	for (i = 0; i < 3; i++)
		free(f[i]);
	if ((v = dkim_msg_new(ctx, DKIM_MODE_VERIFY)) == NULL)
		abort();
	if (feed(v, copy, n + len, 0) == DKIM_OK) {
		a = dkim_arc_get(v);
		if ((before == DKIM_ARC_FAIL && (a->result != DKIM_ARC_FAIL ||
		    !a->sealed_fail)) ||
		    (before != DKIM_ARC_FAIL && a->result != DKIM_ARC_PASS)) {
			fprintf(stderr, "resealed: arc=%s %s\n",
			    dkim_arc_result_name(a->result), a->reason);
			abort();
		}
	}
	dkim_msg_free(v);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	dkim_msg *m;

	if (ctx == NULL)
		setup();
	if ((m = dkim_msg_new(ctx, DKIM_MODE_VERIFY)) == NULL)
		return 0;
	if (dkim_arc_want_seal(m) == DKIM_OK &&
	    feed(m, (const char *)data, size, size > 1 ? size / 2 : 1) ==
	    DKIM_OK) {
		check(m);
		/*
		 * room for three more fields below the ceiling; and a first
		 * line that begins with WSP would continue the field put
		 * above it here (an MTA inserts fields, it does not do this)
		 */
		if (size < HEADER_MAX / 2 && data[0] != ' ' && data[0] != '\t')
			reseal(m, (const char *)data, size);
	}
	dkim_msg_free(m);
	return 0;
}
