/*
 * milterc.c - a small milter protocol client (the MTA side), version 6
 *
 * See milterc.h for the calling sequence. A packet is a 4-byte length in
 * network order (counting the command byte), the command letter and its
 * data. Each command is built whole in mc->wbuf and written with its own
 * write(2) calls, as Postfix flushes its stream after every command; a
 * reply is read with one ceiling on its length (opts.max_reply), one on
 * all replies to a message (MILTERC_MAXTOTAL bytes, MILTERC_MAXMODS
 * modifications), and a time limit on every wait.
 *
 * The offered flags default to what Postfix 3.7 offers: every SMFIF_
 * action, and every SMFIP_ flag up to SMFIP_HDR_LEADSPC. Macros that the
 * filter limited with a symbol list at negotiation are sent only when
 * listed, again as Postfix does.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "milterc.h"

#define MILTERC_VERSION		6
#define MILTERC_ACTIONS		0x1ffU		/* SMFIF_ADDHDRS..SETSYMLIST */
#define MILTERC_PROTOCOL	0x1fffffU	/* SMFIP_NOCONNECT..HDR_LEADSPC */
#define MILTERC_TIMEOUT		30000
#define MILTERC_MAXREPLY	(1024 * 1024)
#define MILTERC_MAXTOTAL	(64 * 1024 * 1024)
#define MILTERC_MAXMODS		4096

struct milterc {
	int	fd;
	int	timeout_ms;
	size_t	max_reply;
	uint32_t offer_actions;
	uint32_t offer_protocol;
	uint32_t actions;		/* negotiated */
	uint32_t protocol;
	int	negotiated;
	int	conn_verdict;		/* a verdict at CONNECT or HELO */
	char	*symlist[MILTERC_NSTAGE];	/* NULL: every macro */
	unsigned char *wbuf;
	size_t	wlen;
	size_t	wcap;
	unsigned char *rbuf;		/* the last reply's data */
	size_t	rlen;
	size_t	rcap;
	size_t	rtotal;			/* reply bytes of this message */
	char	err[256];
};

/* fail_with - record why the last call failed; returns -1 */
static int
fail_with(struct milterc *mc, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(mc->err, sizeof(mc->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* wait_fd - poll for events within the time limit; 0, or -1 */
static int
wait_fd(struct milterc *mc, short events)
{
	struct pollfd p;
	int	r;

	p.fd = mc->fd;
	p.events = events;
	do {
		r = poll(&p, 1, mc->timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return fail_with(mc, "timed out after %d ms", mc->timeout_ms);
	if (r < 0)
		return fail_with(mc, "poll: %s", strerror(errno));
	return 0;
}

/* io_all - write or read exactly n bytes, each wait time-limited */
static int
io_all(struct milterc *mc, void *p, size_t n, int writing)
{
	unsigned char *cp = p;
	ssize_t	r;

	while (n > 0) {
		if (wait_fd(mc, writing ? POLLOUT : POLLIN) < 0)
			return -1;
		r = writing ? send(mc->fd, cp, n, MSG_NOSIGNAL) :
		    read(mc->fd, cp, n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return fail_with(mc, "%s: %s", writing ? "write" :
			    "read", strerror(errno));
		if (r == 0)
			return fail_with(mc, "filter closed the connection");
		cp += r;
		n -= (size_t)r;
	}
	return 0;
}

/* pk_need - room for n more bytes in the packet being built */
static int
pk_need(struct milterc *mc, size_t n)
{
	unsigned char *nb;
	size_t	ncap;

	if (n > SIZE_MAX / 4 - mc->wlen)
		return fail_with(mc, "command too long");
	if (mc->wlen + n <= mc->wcap)
		return 0;
	ncap = mc->wcap ? mc->wcap : 1024;
	while (ncap < mc->wlen + n)
		ncap *= 2;
	if ((nb = realloc(mc->wbuf, ncap)) == NULL)
		return fail_with(mc, "out of memory");
	mc->wbuf = nb;
	mc->wcap = ncap;
	return 0;
}

/* pk_start - begin a packet for command cmd */
static int
pk_start(struct milterc *mc, int cmd)
{
	mc->wlen = 0;
	if (pk_need(mc, 5) < 0)
		return -1;
	mc->wlen = 5;
	mc->wbuf[4] = (unsigned char)cmd;
	return 0;
}

/* pk_add - append n bytes of data */
static int
pk_add(struct milterc *mc, const void *p, size_t n)
{
	if (pk_need(mc, n) < 0)
		return -1;
	if (n > 0)
		memcpy(mc->wbuf + mc->wlen, p, n);
	mc->wlen += n;
	return 0;
}

/* pk_str - append a string and its NUL */
static int
pk_str(struct milterc *mc, const char *s)
{
	return pk_add(mc, s ? s : "", strlen(s ? s : "") + 1);
}

/* pk_u32 - append a 32-bit number in network order */
static int
pk_u32(struct milterc *mc, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	return pk_add(mc, b, 4);
}

/* pk_send - fill in the length and write the packet */
static int
pk_send(struct milterc *mc)
{
	uint32_t n = (uint32_t)(mc->wlen - 4);

	mc->wbuf[0] = n >> 24;
	mc->wbuf[1] = n >> 16;
	mc->wbuf[2] = n >> 8;
	mc->wbuf[3] = n;
	return io_all(mc, mc->wbuf, mc->wlen, 1);
}

/* get_u32 - a 32-bit number in network order */
static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* read_reply - read one packet into mc->rbuf; its command, or -1 */
static int
read_reply(struct milterc *mc)
{
	unsigned char hdr[5];
	uint32_t len;
	unsigned char *nb;

	if (io_all(mc, hdr, 4, 0) < 0)
		return -1;
	len = get_u32(hdr);
	if (len == 0)
		return fail_with(mc, "reply of length 0");
	if (len > mc->max_reply)
		return fail_with(mc, "reply of %lu bytes over the ceiling %zu",
		    (unsigned long)len, mc->max_reply);
	if (io_all(mc, hdr + 4, 1, 0) < 0)
		return -1;
	mc->rtotal += len;
	if (mc->rtotal > MILTERC_MAXTOTAL)
		return fail_with(mc, "replies over %d bytes for one message",
		    MILTERC_MAXTOTAL);
	if (len > mc->rcap) {
		if ((nb = realloc(mc->rbuf, len)) == NULL)
			return fail_with(mc, "out of memory");
		mc->rbuf = nb;
		mc->rcap = len;
	}
	mc->rlen = len - 1;
	if (mc->rlen > 0 && io_all(mc, mc->rbuf, mc->rlen, 0) < 0)
		return -1;
	return hdr[4];
}

/* take_str - copy the NUL-terminated string at *off; NULL on bad data */
static char *
take_str(struct milterc *mc, size_t *off)
{
	const unsigned char *p = mc->rbuf + *off;
	const unsigned char *e;
	char	*s;

	if (*off >= mc->rlen)
		return NULL;
	if ((e = memchr(p, 0, mc->rlen - *off)) == NULL)
		return NULL;
	if ((s = strdup((const char *)p)) != NULL)
		*off += (size_t)(e - p) + 1;
	return s;
}

/* add_mod - record one modification from the reply in mc->rbuf */
static int
add_mod(struct milterc *mc, int cmd, struct milterc_result *res)
{
	struct milterc_mod m = { cmd, 0, NULL, NULL }, *nm;
	size_t	off = 0;

	if (res->nmods >= MILTERC_MAXMODS)
		return fail_with(mc, "more than %d modifications",
		    MILTERC_MAXMODS);
	if (cmd == SMFIR_INSHEADER || cmd == SMFIR_CHGHEADER) {
		if (mc->rlen < 4)
			return fail_with(mc, "short '%c' reply", cmd);
		m.index = get_u32(mc->rbuf);
		off = 4;
	}
	if (cmd == SMFIR_REPLBODY) {
		if ((m.value = malloc(mc->rlen + 1)) == NULL)
			return fail_with(mc, "out of memory");
		memcpy(m.value, mc->rbuf, mc->rlen);
		m.value[mc->rlen] = 0;
	} else if ((m.name = take_str(mc, &off)) == NULL) {
		return fail_with(mc, "malformed '%c' reply", cmd);
	} else if (off < mc->rlen && (m.value = take_str(mc, &off)) == NULL) {
		free(m.name);
		return fail_with(mc, "malformed '%c' reply", cmd);
	}
	nm = realloc(res->mods, (res->nmods + 1) * sizeof(*nm));
	if (nm == NULL) {
		free(m.name);
		free(m.value);
		return fail_with(mc, "out of memory");
	}
	res->mods = nm;
	res->mods[res->nmods++] = m;
	return 0;
}

/*
 * await - read replies to command cmd until a verdict
 *
 * Returns 0 for SMFIR_CONTINUE, 1 for any other verdict (recorded in
 * res), 2 for SMFIR_SKIP, -1 on a protocol or connection error.
 */
static int
await(struct milterc *mc, int cmd, struct milterc_result *res)
{
	int	r;

	for (;;) {
		if ((r = read_reply(mc)) < 0)
			return -1;
		switch (r) {
		case SMFIR_CONTINUE:
			return 0;
		case SMFIR_SKIP:
			if (cmd != SMFIC_BODY)
				return fail_with(mc, "skip reply to '%c'", cmd);
			res->skipped = 1;
			return 2;
		case SMFIR_PROGRESS:
			continue;
		case SMFIR_REPLYCODE:
			free(res->reply);
			res->reply = malloc(mc->rlen + 1);
			if (res->reply == NULL)
				return fail_with(mc, "out of memory");
			memcpy(res->reply, mc->rbuf, mc->rlen);
			res->reply[mc->rlen] = 0;
			/* FALLTHROUGH */
		case SMFIR_ACCEPT:
		case SMFIR_REJECT:
		case SMFIR_DISCARD:
		case SMFIR_TEMPFAIL:
		case SMFIR_CONN_FAIL:
		case SMFIR_SHUTDOWN:
			res->verdict = r;
			res->stage = cmd;
			return 1;
		case SMFIR_ADDHEADER:
		case SMFIR_INSHEADER:
		case SMFIR_CHGHEADER:
		case SMFIR_ADDRCPT:
		case SMFIR_DELRCPT:
		case SMFIR_ADDRCPT_PAR:
		case SMFIR_CHGFROM:
		case SMFIR_REPLBODY:
		case SMFIR_QUARANTINE:
			if (cmd != SMFIC_BODYEOB)
				return fail_with(mc, "modification '%c' "
				    "before end of message", r);
			if (add_mod(mc, r, res) < 0)
				return -1;
			continue;
		default:
			return fail_with(mc, "unknown reply 0x%02x to '%c'",
			    r, cmd);
		}
	}
}

/* exchange - send the packet built; await a reply unless nr_flag */
static int
exchange(struct milterc *mc, int cmd, uint32_t nr_flag,
    struct milterc_result *res)
{
	if (pk_send(mc) < 0)
		return -1;
	if (nr_flag != 0 && (mc->protocol & nr_flag) != 0)
		return 0;
	return await(mc, cmd, res);
}

/* macro_wanted - whether the filter's symbol list for stage has name */
static int
macro_wanted(const struct milterc *mc, int stage, const char *name)
{
	const char *l = mc->symlist[stage], *p;
	size_t	n = strlen(name);

	if (l == NULL)
		return 1;
	for (p = l; (p = strstr(p, name)) != NULL; p += n)
		if ((p == l || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return 1;
	return 0;
}

/* send_macros - SMFIC_MACRO for the command cmd, if any is wanted */
static int
send_macros(struct milterc *mc, int cmd, int stage,
    const struct milterc_list *l)
{
	char	c = (char)cmd;
	size_t	i, sent = 0;

	if (l == NULL || l->n == 0)
		return 0;
	if (pk_start(mc, SMFIC_MACRO) < 0 || pk_add(mc, &c, 1) < 0)
		return -1;
	for (i = 0; i < l->n; i++) {
		if (!macro_wanted(mc, stage, l->v[i].name))
			continue;
		if (pk_str(mc, l->v[i].name) < 0 ||
		    pk_str(mc, l->v[i].value) < 0)
			return -1;
		sent++;
	}
	return sent ? pk_send(mc) : 0;
}

/* open_socket - connect to "unix:PATH", "inet:PORT@HOST", "HOST:PORT" */
static int
open_socket(struct milterc *mc, const char *spec)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *ai = NULL, *a;
	char	host[256], port[32];
	const char *at, *colon;
	int	fd = -1;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0 ||
	    spec[0] == '/') {
		spec = spec[0] == '/' ? spec : strchr(spec, ':') + 1;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(spec) >= sizeof(sun.sun_path))
			return fail_with(mc, "socket path too long");
		strcpy(sun.sun_path, spec);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return fail_with(mc, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			fail_with(mc, "connect %s: %s", spec, strerror(errno));
			close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		spec += 5;
	if ((at = strchr(spec, '@')) != NULL) {
		snprintf(port, sizeof(port), "%.*s", (int)(at - spec), spec);
		snprintf(host, sizeof(host), "%s", at + 1);
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		snprintf(port, sizeof(port), "%s", colon + 1);
	} else {
		return fail_with(mc, "bad socket %s", spec);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return fail_with(mc, "bad address %s port %s", host, port);
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, SOCK_STREAM, 0)) < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return fail_with(mc, "connect %s:%s: %s", host, port,
		    strerror(errno));
	return fd;
}

/* milterc_open - connect to a filter; NULL with the reason in err */
struct milterc *
milterc_open(const char *spec, const struct milterc_opts *o, char *err,
    size_t errlen)
{
	struct milterc *mc;
	int	on = 1;

	if ((mc = calloc(1, sizeof(*mc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mc->fd = -1;
	mc->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms :
	    MILTERC_TIMEOUT;
	mc->max_reply = o && o->max_reply > 0 ? o->max_reply :
	    MILTERC_MAXREPLY;
	mc->offer_actions = o && o->actions ? o->actions : MILTERC_ACTIONS;
	mc->offer_protocol = o && o->protocol ? o->protocol : MILTERC_PROTOCOL;
	if ((mc->fd = open_socket(mc, spec)) < 0) {
		snprintf(err, errlen, "%s", mc->err);
		milterc_free(mc);
		return NULL;
	}
	if (o && o->nodelay)
		(void)setsockopt(mc->fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
	return mc;
}

/* read_symlists - the macro lists after the three numbers of OPTNEG */
static int
read_symlists(struct milterc *mc)
{
	size_t	off = 12;
	uint32_t stage;
	char	*s;

	while (off + 4 <= mc->rlen) {
		stage = get_u32(mc->rbuf + off);
		off += 4;
		if (stage >= MILTERC_NSTAGE)
			return fail_with(mc, "symbol list for stage %lu",
			    (unsigned long)stage);
		if ((s = take_str(mc, &off)) == NULL)
			return fail_with(mc, "malformed symbol list");
		free(mc->symlist[stage]);
		mc->symlist[stage] = s;
	}
	if (off != mc->rlen)
		return fail_with(mc, "trailing bytes after the symbol lists");
	return 0;
}

/* milterc_negotiate - SMFIC_OPTNEG; 0, or -1 */
int
milterc_negotiate(struct milterc *mc)
{
	uint32_t version;
	int	r;

	if (pk_start(mc, SMFIC_OPTNEG) < 0 ||
	    pk_u32(mc, MILTERC_VERSION) < 0 ||
	    pk_u32(mc, mc->offer_actions) < 0 ||
	    pk_u32(mc, mc->offer_protocol) < 0 || pk_send(mc) < 0)
		return -1;
	if ((r = read_reply(mc)) < 0)
		return -1;
	if (r != SMFIC_OPTNEG || mc->rlen < 12)
		return fail_with(mc, "bad negotiation reply '%c'", r);
	version = get_u32(mc->rbuf);
	mc->actions = get_u32(mc->rbuf + 4);
	mc->protocol = get_u32(mc->rbuf + 8);
	if (version < 2 || version > MILTERC_VERSION)
		return fail_with(mc, "filter protocol version %lu",
		    (unsigned long)version);
	if ((mc->protocol & ~mc->offer_protocol) != 0)
		return fail_with(mc, "filter asks for protocol flags 0x%lx",
		    (unsigned long)(mc->protocol & ~mc->offer_protocol));
	if ((mc->actions & ~mc->offer_actions) != 0)
		return fail_with(mc, "filter asks for actions 0x%lx",
		    (unsigned long)(mc->actions & ~mc->offer_actions));
	if (read_symlists(mc) < 0)
		return -1;
	mc->negotiated = 1;
	return 0;
}

/* milterc_session - SMFIC_CONNECT and SMFIC_HELO; 0, 1 on a verdict, -1 */
int
milterc_session(struct milterc *mc, const struct milterc_client *cl)
{
	struct milterc_result res;
	unsigned char port[2] = { cl->port >> 8, cl->port & 0xff };
	int	r = 0, fam;

	if (!mc->negotiated)
		return fail_with(mc, "not negotiated");
	memset(&res, 0, sizeof(res));
	if ((mc->protocol & SMFIP_NOCONNECT) == 0) {
		fam = cl->addr == NULL ? 'U' : strchr(cl->addr, ':') ? '6' : '4';
		if (send_macros(mc, SMFIC_CONNECT, MILTERC_CONNECT,
		    &cl->macros[MILTERC_CONNECT]) < 0 ||
		    pk_start(mc, SMFIC_CONNECT) < 0 ||
		    pk_str(mc, cl->hostname) < 0 ||
		    pk_add(mc, (char[]){ (char)fam }, 1) < 0 ||
		    (fam != 'U' && (pk_add(mc, port, 2) < 0 ||
		    pk_str(mc, cl->addr) < 0)))
			return -1;
		r = exchange(mc, SMFIC_CONNECT, SMFIP_NR_CONN, &res);
	}
	if (r == 0 && (mc->protocol & SMFIP_NOHELO) == 0) {
		if (send_macros(mc, SMFIC_HELO, MILTERC_HELO,
		    &cl->macros[MILTERC_HELO]) < 0 ||
		    pk_start(mc, SMFIC_HELO) < 0 || pk_str(mc, cl->helo) < 0)
			return -1;
		r = exchange(mc, SMFIC_HELO, SMFIP_NR_HELO, &res);
	}
	if (r == 1)
		mc->conn_verdict = res.verdict;
	milterc_result_clear(&res);
	return r < 0 ? -1 : r;
}

/* send_header - SMFIC_HEADER: name\0value\0, CRLF folding as LF */
static int
send_header(struct milterc *mc, const struct milterc_pair *h,
    struct milterc_result *res)
{
	const char *v = h->value, *p;

	if ((mc->protocol & SMFIP_HDR_LEADSPC) == 0)
		v += strspn(v, " \t");
	if (pk_start(mc, SMFIC_HEADER) < 0 || pk_str(mc, h->name) < 0)
		return -1;
	while ((p = strstr(v, "\r\n")) != NULL) {
		if (pk_add(mc, v, (size_t)(p - v)) < 0 || pk_add(mc, "\n", 1) < 0)
			return -1;
		v = p + 2;
	}
	if (pk_str(mc, v) < 0)
		return -1;
	return exchange(mc, SMFIC_HEADER, SMFIP_NR_HDR, res);
}

/* send_envelope - MAIL, RCPT and DATA, each when the filter wants it */
static int
send_envelope(struct milterc *mc, const struct milterc_msg *m,
    struct milterc_result *res)
{
	size_t	i;
	int	r;

	if ((mc->protocol & SMFIP_NOMAIL) == 0) {
		if (send_macros(mc, SMFIC_MAIL, MILTERC_MAIL,
		    &m->macros[MILTERC_MAIL]) < 0 ||
		    pk_start(mc, SMFIC_MAIL) < 0 || pk_str(mc, m->mail_from) < 0)
			return -1;
		if ((r = exchange(mc, SMFIC_MAIL, SMFIP_NR_MAIL, res)) != 0)
			return r;
	}
	for (i = 0; i < m->nrcpt && (mc->protocol & SMFIP_NORCPT) == 0; i++) {
		if (send_macros(mc, SMFIC_RCPT, MILTERC_RCPT,
		    &m->macros[MILTERC_RCPT]) < 0 ||
		    pk_start(mc, SMFIC_RCPT) < 0 || pk_str(mc, m->rcpt[i]) < 0)
			return -1;
		if ((r = exchange(mc, SMFIC_RCPT, SMFIP_NR_RCPT, res)) != 0)
			return r;
	}
	if ((mc->protocol & SMFIP_NODATA) == 0) {
		if (send_macros(mc, SMFIC_DATA, MILTERC_DATA,
		    &m->macros[MILTERC_DATA]) < 0 ||
		    pk_start(mc, SMFIC_DATA) < 0)
			return -1;
		return exchange(mc, SMFIC_DATA, SMFIP_NR_DATA, res);
	}
	return 0;
}

/* send_content - headers, EOH and the body chunks */
static int
send_content(struct milterc *mc, const struct milterc_msg *m,
    struct milterc_result *res)
{
	size_t	i, off, n;
	int	r;

	for (i = 0; i < m->headers.n && (mc->protocol & SMFIP_NOHDRS) == 0;
	    i++)
		if ((r = send_header(mc, &m->headers.v[i], res)) != 0)
			return r;
	if ((mc->protocol & SMFIP_NOEOH) == 0) {
		if (send_macros(mc, SMFIC_EOH, MILTERC_EOH,
		    &m->macros[MILTERC_EOH]) < 0 || pk_start(mc, SMFIC_EOH) < 0)
			return -1;
		if ((r = exchange(mc, SMFIC_EOH, SMFIP_NR_EOH, res)) != 0)
			return r;
	}
	for (off = 0; off < m->bodylen && (mc->protocol & SMFIP_NOBODY) == 0;
	    off += n) {
		n = m->bodylen - off;
		if (n > MILTER_CHUNK_SIZE)
			n = MILTER_CHUNK_SIZE;
		if (pk_start(mc, SMFIC_BODY) < 0 ||
		    pk_add(mc, m->body + off, n) < 0)
			return -1;
		r = exchange(mc, SMFIC_BODY, SMFIP_NR_BODY, res);
		if (r == 2)
			break;
		if (r != 0)
			return r;
	}
	return 0;
}

/*
 * milterc_send_message - one message from MAIL to the end-of-message reply
 *
 * Returns 0 when the filter answered at the end of the message (res
 * holds its verdict and modifications), 1 when it gave a verdict before
 * (then SMFIC_ABORT is sent, as an MTA does when the transaction ends
 * early), -1 on an error that leaves the connection unusable.
 */
int
milterc_send_message(struct milterc *mc, const struct milterc_msg *m,
    struct milterc_result *res)
{
	int	r;

	memset(res, 0, sizeof(*res));
	mc->rtotal = 0;
	if (!mc->negotiated)
		return fail_with(mc, "not negotiated");
	if (mc->conn_verdict != 0)
		return fail_with(mc, "connection got verdict '%c'",
		    mc->conn_verdict);
	if ((r = send_envelope(mc, m, res)) == 0)
		r = send_content(mc, m, res);
	if (r == 1) {
		if (pk_start(mc, SMFIC_ABORT) < 0 || pk_send(mc) < 0)
			return -1;
		return 1;
	}
	if (r < 0)
		return -1;
	if (send_macros(mc, SMFIC_BODYEOB, MILTERC_EOM,
	    &m->macros[MILTERC_EOM]) < 0 || pk_start(mc, SMFIC_BODYEOB) < 0 ||
	    pk_send(mc) < 0)
		return -1;
	res->verdict = SMFIR_CONTINUE;
	res->stage = SMFIC_BODYEOB;
	return await(mc, SMFIC_BODYEOB, res) < 0 ? -1 : 0;
}

/* nr_flag - the SMFIP_NR_ flag that spares command cmd its reply */
static uint32_t
nr_flag(int cmd)
{
	switch (cmd) {
	case SMFIC_CONNECT: return SMFIP_NR_CONN;
	case SMFIC_HELO: return SMFIP_NR_HELO;
	case SMFIC_MAIL: return SMFIP_NR_MAIL;
	case SMFIC_RCPT: return SMFIP_NR_RCPT;
	case SMFIC_DATA: return SMFIP_NR_DATA;
	case SMFIC_HEADER: return SMFIP_NR_HDR;
	case SMFIC_EOH: return SMFIP_NR_EOH;
	case SMFIC_BODY: return SMFIP_NR_BODY;
	case SMFIC_UNKNOWN: return SMFIP_NR_UNKN;
	default: return 0;
	}
}

/*
 * milterc_command - one command of the caller's making, for fault tests:
 * cmd and len bytes of data as one packet; the reply is awaited unless
 * the command never gets one (MACRO, ABORT, QUIT, QUIT_NC) or the filter
 * negotiated its no-reply flag. Returns as await() does: 0 continue, 1 a
 * verdict (in res, which the caller clears), 2 skip, -1 error.
 */
int
milterc_command(struct milterc *mc, int cmd, const void *data, size_t len,
    struct milterc_result *res)
{
	mc->rtotal = 0;
	if (pk_start(mc, cmd) < 0 || pk_add(mc, data, len) < 0 ||
	    pk_send(mc) < 0)
		return -1;
	if (cmd == SMFIC_MACRO || cmd == SMFIC_ABORT || cmd == SMFIC_QUIT ||
	    cmd == SMFIC_QUIT_NC || (nr_flag(cmd) & mc->protocol) != 0)
		return 0;
	return await(mc, cmd, res);
}

/* milterc_write_raw - bytes as they are (a malformed packet); 0 or -1 */
int
milterc_write_raw(struct milterc *mc, const void *p, size_t n)
{
	return io_all(mc, (void *)p, n, 1);
}

/* milterc_fd - the connection's socket, to shut it down half-way */
int
milterc_fd(const struct milterc *mc)
{
	return mc->fd;
}

/* milterc_quit - SMFIC_QUIT; the filter closes its side */
int
milterc_quit(struct milterc *mc)
{
	if (pk_start(mc, SMFIC_QUIT) < 0)
		return -1;
	return pk_send(mc);
}

/* milterc_free - close the connection and release everything; NULL ok */
void
milterc_free(struct milterc *mc)
{
	int	i;

	if (mc == NULL)
		return;
	if (mc->fd >= 0)
		close(mc->fd);
	for (i = 0; i < MILTERC_NSTAGE; i++)
		free(mc->symlist[i]);
	free(mc->wbuf);
	free(mc->rbuf);
	free(mc);
}

/* milterc_error - why the last call failed */
const char *
milterc_error(const struct milterc *mc)
{
	return mc->err;
}

/* milterc_protocol - the SMFIP_ flags the filter negotiated */
uint32_t
milterc_protocol(const struct milterc *mc)
{
	return mc->protocol;
}

/* milterc_actions - the SMFIF_ actions the filter negotiated */
uint32_t
milterc_actions(const struct milterc *mc)
{
	return mc->actions;
}

/* milterc_result_clear - release what a result holds; leaves it empty */
void
milterc_result_clear(struct milterc_result *res)
{
	size_t	i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nmods; i++) {
		free(res->mods[i].name);
		free(res->mods[i].value);
	}
	free(res->mods);
	free(res->reply);
	memset(res, 0, sizeof(*res));
}

/* milterc_find_mod - the next modification of type for header name */
const struct milterc_mod *
milterc_find_mod(const struct milterc_result *res, int type, const char *name,
    size_t *from)
{
	size_t	i;

	for (i = from ? *from : 0; i < res->nmods; i++) {
		if (res->mods[i].type != type)
			continue;
		if (name != NULL && (res->mods[i].name == NULL ||
		    strcasecmp(res->mods[i].name, name) != 0))
			continue;
		if (from)
			*from = i + 1;
		return &res->mods[i];
	}
	return NULL;
}
