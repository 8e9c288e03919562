/*
 * milterc.h - a small milter protocol client (the MTA side), version 6
 *
 *	mc = milterc_open("inet:8891@127.0.0.1", &opts, err, sizeof(err));
 *	milterc_negotiate(mc);			SMFIC_OPTNEG
 *	milterc_session(mc, &client);		SMFIC_CONNECT, SMFIC_HELO
 *	milterc_send_message(mc, &msg, &res);	MAIL .. BODYEOB, once a message
 *	milterc_result_clear(&res);
 *	milterc_quit(mc); milterc_free(mc);
 *
 * Fault tests build their own sequences with milterc_command() (one
 * packet, its reply awaited as the negotiation says), milterc_write_raw()
 * (bytes as they are: a 2 GB length, a truncated packet) and milterc_fd()
 * (shutdown(2) in the middle of a body).
 *
 * It speaks as Postfix does: every command is its own write(2), header
 * fields go as name\0value\0 (folded lines joined with LF), the body in
 * chunks of at most 65535 bytes, macros (SMFIC_MACRO) before the command
 * they belong to, and no reply is awaited where the filter negotiated a
 * no-reply flag. Replies are read with a ceiling on each packet's length
 * (opts.max_reply) and on their number, and every read and write has a
 * time limit: a hostile filter costs an error, never unbounded memory.
 *
 * Memory: struct milterc belongs to the caller of milterc_open() and is
 * released by milterc_free(). A struct milterc_result is filled by
 * milterc_send_message() with heap copies that milterc_result_clear()
 * releases. The message and its macros are only read, never kept.
 * One struct milterc is used by one thread at a time.
 */
#ifndef MILTERC_H
#define MILTERC_H

#include <stddef.h>
#include <stdint.h>

/* Macro stages, the SMFIM_* numbers of the protocol. */
enum milterc_stage {
	MILTERC_CONNECT = 0,
	MILTERC_HELO = 1,
	MILTERC_MAIL = 2,
	MILTERC_RCPT = 3,
	MILTERC_DATA = 4,
	MILTERC_EOM = 5,
	MILTERC_EOH = 6,
	MILTERC_NSTAGE = 7
};

struct milterc_opts {
	int	timeout_ms;	/* per read or write; 0: 30,000 */
	size_t	max_reply;	/* ceiling of one reply packet; 0: 1 MiB */
	int	nodelay;	/* TCP_NODELAY (Postfix: off) */
	uint32_t actions;	/* SMFIF_* offered; 0: what Postfix offers */
	uint32_t protocol;	/* SMFIP_* offered; 0: what Postfix offers */
};

struct milterc_pair {
	const char *name;
	const char *value;
};

/* A list of macros, or of header fields (value: the bytes after ':'). */
struct milterc_list {
	const struct milterc_pair *v;
	size_t	n;
};

struct milterc_client {
	const char *hostname;	/* client host name, e.g. "localhost" */
	const char *addr;	/* "127.0.0.1"; NULL: family unknown */
	unsigned short port;
	const char *helo;
	struct milterc_list macros[MILTERC_NSTAGE];	/* CONNECT, HELO used */
};

struct milterc_msg {
	const char *mail_from;		/* "<a@example.com>" */
	const char *const *rcpt;	/* "<b@example.net>" ... */
	size_t	nrcpt;
	struct milterc_list headers;	/* values may hold CRLF folding */
	const char *body;		/* CRLF line ends, as Postfix sends */
	size_t	bodylen;
	struct milterc_list macros[MILTERC_NSTAGE];	/* MAIL..EOM used */
};

/* One modification the filter asked for (SMFIR_INSHEADER and so on). */
struct milterc_mod {
	int	type;		/* the SMFIR_* letter */
	uint32_t index;		/* INSHEADER and CHGHEADER; else 0 */
	char	*name;		/* header name, recipient, sender; or NULL */
	char	*value;		/* header value (LF folding); or NULL */
};

struct milterc_result {
	int	verdict;	/* SMFIR_CONTINUE at EOM, ACCEPT, REJECT... */
	int	stage;		/* the SMFIC_* command that got it */
	char	*reply;		/* SMFIR_REPLYCODE text, or NULL */
	int	skipped;	/* the filter answered SMFIR_SKIP to a chunk */
	struct milterc_mod *mods;
	size_t	nmods;
};

struct milterc;

extern struct milterc *milterc_open(const char *, const struct milterc_opts *,
	    char *, size_t);
extern int milterc_negotiate(struct milterc *);
extern int milterc_session(struct milterc *, const struct milterc_client *);
extern int milterc_send_message(struct milterc *, const struct milterc_msg *,
	    struct milterc_result *);
extern int milterc_quit(struct milterc *);
extern void milterc_free(struct milterc *);
extern const char *milterc_error(const struct milterc *);

/* For fault tests: commands of the caller's making, raw bytes, the fd. */
extern int milterc_command(struct milterc *, int, const void *, size_t,
	    struct milterc_result *);
extern int milterc_write_raw(struct milterc *, const void *, size_t);
extern int milterc_fd(const struct milterc *);
extern uint32_t milterc_protocol(const struct milterc *);
extern uint32_t milterc_actions(const struct milterc *);
extern void milterc_result_clear(struct milterc_result *);
extern const struct milterc_mod *milterc_find_mod(const struct milterc_result *,
	    int, const char *, size_t *);

#endif
