/*
 * test_milterc.c - the milter client of bench/ against a scripted filter
 *
 * A thread plays the filter on a unix socket in a temporary folder: it
 * records every packet it gets and answers as its script says (the
 * negotiated flags, a verdict at MAIL, raw bytes at end of message), so
 * the tests see exactly what the client wrote and how it takes hostile
 * replies. Every socket and file is removed at the end.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "milterc.h"
#include "tap.h"

#define MAXPK	64

struct pk {
	int	cmd;
	size_t	len;
	unsigned char *data;
};

struct fake {
	int	lfd;
	uint32_t protocol;		/* negotiated SMFIP_ flags */
	const unsigned char *symlist;	/* appended to the OPTNEG reply */
	size_t	symlen;
	int	mail_verdict;		/* 0: continue */
	const unsigned char *eom;	/* raw reply bytes at end of message */
	size_t	eomlen;
	struct pk pk[MAXPK];
	int	npk;
};

static char sockpath[108];

/* rd - read exactly n bytes; 0, or -1 at EOF */
static int
rd(int fd, void *p, size_t n)
{
	unsigned char *cp = p;
	ssize_t	r;

	while (n > 0) {
		if ((r = read(fd, cp, n)) <= 0)
			return -1;
		cp += r;
		n -= (size_t)r;
	}
	return 0;
}

/* reply - one packet from the fake filter */
static void
reply(int fd, int cmd, const void *data, size_t n)
{
	unsigned char h[5] = { 0, 0, (n + 1) >> 8, (n + 1) & 0xff, cmd };

	(void)!write(fd, h, 5);
	if (n > 0)
		(void)!write(fd, data, n);
}

/* noreply - whether the negotiated flags spare cmd its reply */
static int
noreply(const struct fake *f, int cmd)
{
	switch (cmd) {
	case SMFIC_MACRO: case SMFIC_ABORT: case SMFIC_QUIT:
		return 1;
	case SMFIC_HEADER: return (f->protocol & SMFIP_NR_HDR) != 0;
	case SMFIC_BODY: return (f->protocol & SMFIP_NR_BODY) != 0;
	case SMFIC_EOH: return (f->protocol & SMFIP_NR_EOH) != 0;
	case SMFIC_CONNECT: return (f->protocol & SMFIP_NR_CONN) != 0;
	default: return 0;
	}
}

/* answer - what the fake filter says to one packet */
static void
answer(struct fake *f, int fd, const struct pk *p)
{
	unsigned char neg[12 + 256] = { 0, 0, 0, 6, 0, 0, 0, 0x11 };

	if (p->cmd == SMFIC_OPTNEG) {
		neg[8] = f->protocol >> 24;
		neg[9] = f->protocol >> 16;
		neg[10] = f->protocol >> 8;
		neg[11] = f->protocol;
		if (f->symlen > 0)
			memcpy(neg + 12, f->symlist, f->symlen);
		reply(fd, SMFIC_OPTNEG, neg, 12 + f->symlen);
	} else if (p->cmd == SMFIC_MAIL && f->mail_verdict) {
		reply(fd, f->mail_verdict, NULL, 0);
	} else if (p->cmd == SMFIC_BODYEOB) {
		(void)!write(fd, f->eom, f->eomlen);
	} else if (!noreply(f, p->cmd)) {
		reply(fd, SMFIR_CONTINUE, NULL, 0);
	}
}

/* filter - the fake filter's thread: one connection, until QUIT or EOF */
static void *
filter(void *arg)
{
	struct fake *f = arg;
	unsigned char h[5];
	struct pk *p;
	uint32_t len;
	int	fd;

	if ((fd = accept(f->lfd, NULL, NULL)) < 0)
		return NULL;
	while (f->npk < MAXPK && rd(fd, h, 5) == 0) {
		len = (uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
		p = &f->pk[f->npk];
		p->cmd = h[4];
		p->len = len - 1;
		p->data = malloc(len);
		if (p->data == NULL || rd(fd, p->data, p->len) < 0)
			break;
		f->npk++;
		if (p->cmd == SMFIC_QUIT)
			break;
		answer(f, fd, p);
	}
	close(fd);
	return NULL;
}

/* start - listen and run the fake filter in a thread */
static int
start(struct fake *f, pthread_t *th)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(sun.sun_path, sockpath);
	unlink(sockpath);
	if ((f->lfd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(f->lfd, 1) < 0)
		return -1;
	return pthread_create(th, NULL, filter, f);
}

/* finish - wait for the fake filter, close the listener */
static void
finish(struct fake *f, pthread_t th)
{
	pthread_join(th, NULL);
	close(f->lfd);
	unlink(sockpath);
}

/* release - free the packets the fake filter recorded */
static void
release(struct fake *f)
{
	int	i;

	for (i = 0; i < f->npk; i++)
		free(f->pk[i].data);
	f->npk = 0;
}

/* count - how many packets of cmd the fake filter got */
static int
count(const struct fake *f, int cmd)
{
	int	i, n = 0;

	for (i = 0; i < f->npk; i++)
		n += f->pk[i].cmd == cmd;
	return n;
}

/* nth - the n-th packet of cmd, or NULL */
static const struct pk *
nth(const struct fake *f, int cmd, int n)
{
	int	i;

	for (i = 0; i < f->npk; i++)
		if (f->pk[i].cmd == cmd && n-- == 0)
			return &f->pk[i];
	return NULL;
}

static const struct milterc_pair hdrs[] = {
	{ "From", " a@example.com" },
	{ "Subject", " folded\r\n\tsecond line" },
};
static const struct milterc_pair mailmacros[] = {
	{ "i", "QID1" },
	{ "{auth_authen}", "user" },
	{ "{daemon_name}", "ORIGINATING" },
};
static const char *rcpts[] = { "<b@example.net>" };

/* run - one session with one message against the fake filter f */
static int
run(struct fake *f, const char *body, size_t bodylen,
    struct milterc_result *res, char *err, size_t errlen)
{
	struct milterc_opts o = { .timeout_ms = 2000, .max_reply = 4096 };
	struct milterc_client cl = { "localhost", "127.0.0.1", 25, "helo.test",
		{ { 0 } } };
	struct milterc_msg m = { "<a@example.com>", rcpts, 1, { hdrs, 2 },
		body, bodylen, { { 0 } } };
	struct milterc *mc;
	pthread_t th;
	int	r = -1;

	m.macros[MILTERC_MAIL] = (struct milterc_list){ mailmacros, 3 };
	memset(res, 0, sizeof(*res));
	if (start(f, &th) != 0)
		return -2;
	if ((mc = milterc_open(sockpath, &o, err, errlen)) != NULL) {
		if (milterc_negotiate(mc) == 0 && milterc_session(mc, &cl) == 0)
			r = milterc_send_message(mc, &m, res);
		snprintf(err, errlen, "%s", milterc_error(mc));
		if (r >= 0)
			milterc_quit(mc);
		milterc_free(mc);
	}
	finish(f, th);
	return r;
}

/* eom_bytes - append one reply packet to a byte string */
static size_t
eom_bytes(unsigned char *out, size_t off, int cmd, const void *d, size_t n)
{
	out[off] = 0;
	out[off + 1] = 0;
	out[off + 2] = (n + 1) >> 8;
	out[off + 3] = (n + 1) & 0xff;
	out[off + 4] = cmd;
	if (n > 0)
		memcpy(out + off + 5, d, n);
	return off + 5 + n;
}

/* test_conversation - what goes on the wire in a plain exchange */
static void
test_conversation(void)
{
	static const char ins[] = "\0\0\0\0DKIM-Signature\0 v=1; a=rsa\0";
	unsigned char eom[256];
	struct fake f = { 0 };
	struct milterc_result res;
	const struct milterc_mod *mod;
	const struct pk *p;
	char	err[300], *body;
	size_t	n = 0;
	int	r;

	n = eom_bytes(eom, n, SMFIR_INSHEADER, ins, sizeof(ins) - 1);
	n = eom_bytes(eom, n, SMFIR_CONTINUE, NULL, 0);
	f.eom = eom;
	f.eomlen = n;
	f.protocol = SMFIP_NR_HDR | SMFIP_NOHELO | SMFIP_HDR_LEADSPC;
	body = malloc(150000);
	memset(body, 'x', 150000);
	r = run(&f, body, 150000, &res, err, sizeof(err));
	is_int(r, 0, "plain exchange: the message completes");
	if (r != 0)
		printf("#   %s\n", err);
	p = nth(&f, SMFIC_OPTNEG, 0);
	ok(p && p->len == 12 && p->data[3] == 6,
	    "OPTNEG: protocol version 6, three numbers");
	ok(p && p->data[7] == 0xff && p->data[6] == 0x01 &&
	    p->data[9] == 0x1f && p->data[10] == 0xff && p->data[11] == 0xff,
	    "OPTNEG: offers what Postfix offers (actions 0x1ff, flags 0x1fffff)");
	is_int(count(&f, SMFIC_HELO), 0, "no HELO sent when the filter "
	    "negotiated SMFIP_NOHELO");
	is_int(count(&f, SMFIC_HEADER), 2, "headers sent without waiting "
	    "for replies under SMFIP_NR_HDR");
	p = nth(&f, SMFIC_HEADER, 1);
	ok(p && p->len == sizeof("Subject\0 folded\n\tsecond line") &&
	    memcmp(p->data, "Subject\0 folded\n\tsecond line",
	    p->len) == 0, "header: name\\0value\\0, leading space kept "
	    "(HDR_LEADSPC), folding CRLF sent as LF");
	is_int(count(&f, SMFIC_BODY), 3, "150,000-byte body in 3 chunks");
	p = nth(&f, SMFIC_BODY, 0);
	is_int(p ? (long)p->len : -1, 65535, "first body chunk is 65535 bytes");
	p = nth(&f, SMFIC_BODY, 2);
	is_int(p ? (long)p->len : -1, 150000 - 2 * 65535,
	    "last body chunk holds the rest");
	p = nth(&f, SMFIC_CONNECT, 0);
	ok(p && p->len == sizeof("localhost\0004\0\031127.0.0.1") &&
	    memcmp(p->data, "localhost\0004\0\031127.0.0.1", p->len) == 0,
	    "CONNECT: host\\0, family '4', port 25, address\\0");
	p = nth(&f, SMFIC_MACRO, 0);
	ok(p && p->data[0] == SMFIC_MAIL && p->len == 1 + 7 + 19 + 26,
	    "MACRO for MAIL: command letter, then name\\0value\\0 pairs");
	is_int(count(&f, SMFIC_QUIT), 1, "QUIT at the end");
	is_int(res.verdict, SMFIR_CONTINUE, "verdict: continue at EOM");
	mod = milterc_find_mod(&res, SMFIR_INSHEADER, "dkim-signature", NULL);
	ok(mod && mod->index == 0 && strcmp(mod->value, " v=1; a=rsa") == 0,
	    "INSHEADER recorded with its index, name and value");
	milterc_result_clear(&res);
	ok(res.mods == NULL && res.nmods == 0, "result_clear empties it");
	release(&f);
	f.protocol = 0;
	n = eom_bytes(eom, 0, SMFIR_ACCEPT, NULL, 0);
	f.eomlen = n;
	r = run(&f, "", 0, &res, err, sizeof(err));
	p = nth(&f, SMFIC_HEADER, 0);
	ok(r == 0 && p && memcmp(p->data, "From\0a@example.com", 19) == 0,
	    "without HDR_LEADSPC the leading space is stripped");
	is_int(count(&f, SMFIC_BODY), 0, "empty body: no BODY packet");
	is_int(count(&f, SMFIC_HELO), 1, "HELO sent when not refused");
	milterc_result_clear(&res);
	release(&f);
	free(body);
}

/* test_symlist - macros limited by the filter's symbol lists */
static void
test_symlist(void)
{
	static const unsigned char sl[] = "\0\0\0\2i {daemon_name}";
	struct fake f = { 0 };
	struct milterc_result res;
	unsigned char eom[8];
	const struct pk *p;
	char	err[300];
	int	r;

	f.symlist = sl;
	f.symlen = sizeof(sl);
	f.eom = eom;
	f.eomlen = eom_bytes(eom, 0, SMFIR_CONTINUE, NULL, 0);
	r = run(&f, "b\r\n", 3, &res, err, sizeof(err));
	p = nth(&f, SMFIC_MACRO, 0);
	ok(r == 0 && p && p->len == 1 + 7 + 26 &&
	    memcmp(p->data + 1, "i\0QID1\0{daemon_name}\0ORIGINATING", 32)
	    == 0, "symbol list: only the MAIL macros the filter named");
	milterc_result_clear(&res);
	release(&f);
}

/* test_reject_at_mail - a verdict before the end stops the message */
static void
test_reject_at_mail(void)
{
	struct fake f = { 0 };
	struct milterc_result res;
	char	err[300];
	int	r;

	f.mail_verdict = SMFIR_REJECT;
	r = run(&f, "b\r\n", 3, &res, err, sizeof(err));
	is_int(r, 1, "reject at MAIL: send_message says the message ended");
	ok(res.verdict == SMFIR_REJECT && res.stage == SMFIC_MAIL,
	    "reject at MAIL: verdict and stage recorded");
	ok(count(&f, SMFIC_HEADER) == 0 && count(&f, SMFIC_ABORT) == 1,
	    "reject at MAIL: no headers sent, ABORT sent");
	milterc_result_clear(&res);
	release(&f);
}

/* test_hostile - replies a client must refuse without harm */
static void
test_hostile(void)
{
	static const unsigned char huge[] = { 0x7f, 0xff, 0xff, 0xff, 'h' };
	static const unsigned char zero[] = { 0, 0, 0, 0 };
	static const unsigned char nonul[] = { 0, 0, 0, 9, 'h', 'X', '-', 'A',
		':', ' ', 'b', 'a', 'd' };
	static const unsigned char bogus[] = { 0, 0, 0, 1, 'Z' };
	static const unsigned char shortins[] = { 0, 0, 0, 3, 'i', 0, 0 };
	static const struct {
		const unsigned char *b;
		size_t	n;
		const char *why;
		const char *name;
	} c[] = {
		{ huge, sizeof(huge), "over the ceiling",
		    "a 2 GB reply length is refused before any allocation" },
		{ zero, sizeof(zero), "length 0", "a zero-length reply" },
		{ nonul, sizeof(nonul), "malformed",
		    "ADDHEADER without its NULs" },
		{ bogus, sizeof(bogus), "unknown reply",
		    "an unknown reply letter" },
		{ shortins, sizeof(shortins), "short",
		    "INSHEADER shorter than its index" },
		{ bogus, 0, "timed out",
		    "a filter that never answers: timed out" },
	};
	struct fake f = { 0 };
	struct milterc_result res;
	char	err[300], name[200];
	size_t	i;
	int	r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		f.eom = c[i].b;
		f.eomlen = c[i].n;
		r = run(&f, "b\r\n", 3, &res, err, sizeof(err));
		snprintf(name, sizeof(name), "hostile: %s -> error", c[i].name);
		ok(r == -1 && strstr(err, c[i].why) != NULL, name);
		if (r != -1 || strstr(err, c[i].why) == NULL)
			printf("#   r=%d err=%s\n", r, err);
		milterc_result_clear(&res);
		release(&f);
	}
}

/* test_raw - commands and bytes of a fault test's own making */
static void
test_raw(void)
{
	static const unsigned char bogus[] = { 0, 0, 0, 2, 'Z', 'q' };
	struct milterc_opts o = { .timeout_ms = 2000 };
	struct milterc_client cl = { "h", NULL, 0, "helo", { { 0 } } };
	struct fake f = { 0 };
	struct milterc_result res;
	struct milterc *mc;
	const struct pk *p;
	pthread_t th;
	char	err[300];
	int	r1 = -1, r2 = -1, r3 = -1;

	memset(&res, 0, sizeof(res));
	f.protocol = SMFIP_NR_HDR;
	if (start(&f, &th) != 0)
		return;
	if ((mc = milterc_open(sockpath, &o, err, sizeof(err))) != NULL) {
		if (milterc_negotiate(mc) == 0 && milterc_session(mc, &cl) == 0) {
			r1 = milterc_command(mc, SMFIC_MAIL, "<a@b>", 6, &res);
			r2 = milterc_command(mc, SMFIC_HEADER, "X\0y", 4, &res);
			r3 = milterc_write_raw(mc, bogus, sizeof(bogus));
		}
		ok(milterc_fd(mc) >= 0, "milterc_fd: the connection's socket");
		milterc_quit(mc);
		milterc_free(mc);
	}
	finish(&f, th);
	is_int(r1, 0, "command: MAIL built by the caller, continue read");
	is_int(r2, 0, "command: HEADER under SMFIP_NR_HDR, no reply awaited");
	is_int(r3, 0, "write_raw: the bytes are written");
	p = nth(&f, SMFIC_CONNECT, 0);
	ok(p && p->len == 3 && memcmp(p->data, "h\0U", 3) == 0,
	    "CONNECT without an address: family 'U' and nothing after");
	p = nth(&f, 'Z', 0);
	ok(p && p->len == 1 && p->data[0] == 'q',
	    "write_raw: the filter got the bogus packet as it was");
	milterc_result_clear(&res);
	release(&f);
}

/* test_open_errors - bad socket names and absent filters */
static void
test_open_errors(void)
{
	char	err[300];

	ok(milterc_open("inet:1@127.0.0.1", NULL, err, sizeof(err)) == NULL &&
	    strstr(err, "connect") != NULL,
	    "open: nobody listening on inet:1@127.0.0.1 is an error");
	ok(milterc_open("nonsense", NULL, err, sizeof(err)) == NULL,
	    "open: a name that is no socket is an error");
	milterc_free(NULL);
	ok(1, "milterc_free(NULL) is a no-op");
}

/* main - every test against a filter socket in a fresh temporary folder */
int
main(void)
{
	char	dir[] = "/tmp/test_milterc.XXXXXX";

	plan_lazy();
	/* the fake filter may answer a client that has gone already */
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sockpath, sizeof(sockpath), "%s/f.sock", dir);
	test_conversation();
	test_symlist();
	test_reject_at_mail();
	test_hostile();
	test_raw();
	test_open_errors();
	unlink(sockpath);
	rmdir(dir);
	return done_testing();
}
