/*
 * test_addr.c - the From: address that the SigningTable is asked about
 * (addr.c)
 */
#include <string.h>

#include "addr.h"
#include "tap.h"

/* from - addr_from() into a static buffer */
static const char *
from(const char *v)
{
	static char out[128];

	addr_from(v, out, sizeof(out));
	return out;
}

int
main(void)
{
	char	small[8];

	plan_lazy();
	is_str(from(" user@example.com"), "user@example.com",
	    "bare addr-spec, leading space as with HDR_LEADSPC");
	is_str(from(" Test User <user@example.com>"), "user@example.com",
	    "display name and angle-addr");
	is_str(from("\"Doe, John <fake@evil.test>\" <john@example.com>"),
	    "john@example.com", "a quoted display name hides its < and comma");
	is_str(from(" (Comment <fake@evil.test>) user@example.com (more)"),
	    "user@example.com", "comments, even with <, are skipped");
	is_str(from(" a@example.com, b@example.org"), "a@example.com",
	    "mailbox-list: the first mailbox");
	is_str(from(" Name\r\n\t<user@example.com>"), "user@example.com",
	    "folded value");
	is_str(from(" \"quoted local\"@example.com"), "quotedlocal@example.com",
	    "quotes are dropped from a quoted local part");
	is_str(from(" \"A \\\" B\" <ab@example.com>"), "ab@example.com",
	    "an escaped quote inside a display name");
	is_str(from(" Undisclosed recipients:;"), "Undisclosedrecipients:;",
	    "group syntax gives no address (no @, nothing matches)");
	is_str(from(""), "", "empty value, empty address");
	is_str(from(" <user@example.com"), "user@example.com",
	    "unclosed angle-addr ends at the end of the value");
	addr_from(" averyveryverylongaddress@example.com", small, sizeof(small));
	ok(strlen(small) == 7, "truncated to the buffer, always terminated");
	addr_from("x@y", small, 0);
	ok(1, "an empty buffer is left alone");
	return done_testing();
}
