/*
 * msg.h - the message handle, shared by msg.c, sign.c, verify.c,
 * hdrindex.c, bodyhash.c and msgerr.c
 *
 * Field names and values live in one arena (offsets, not pointers, since
 * the arena moves as it grows). Body hashers are shared between the
 * signatures that agree on canonicalization, hash and l=.
 */
#ifndef DK_MSG_H
#define DK_MSG_H

#include "dk.h"

#define DK_MAX_BODYHASH	16	/* distinct (canon, hash, l=) per message */
#define DK_MAX_HNAMES	1024	/* h= names we are willing to select */

enum dk_state {
	DK_ST_HEADER = 0,
	DK_ST_BODY,
	DK_ST_DONE,
	DK_ST_FAILED
};

struct dk_field {
	size_t	name;		/* offset of the name in the arena */
	size_t	nlen;		/* name as received */
	size_t	klen;		/* name without trailing WSP, for matching */
	size_t	value;		/* offset of the raw value */
	size_t	vlen;
	uint32_t hash;		/* dk_name_hash of the matching name */
};

struct dk_bodyhash {
	enum dkim_canon canon;
	const EVP_MD *type;
	long long limit;		/* l=, -1 for all */
	unsigned long long done;	/* canonical bytes hashed */
	EVP_MD_CTX *md;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
};

struct dk_sink {
	dkim_msg *msg;
	enum dkim_canon canon;
};

struct dk_signer {
	char	*domain;
	char	*selector;
	char	*identity;
	dkim_key *key;
	enum dkim_alg alg;
	enum dkim_canon hcanon;
	enum dkim_canon bcanon;
	char	**sign;		/* names to sign, NULL-terminated (copies) */
	char	**over;		/* names to oversign */
	char	**h;		/* h= as chosen at end of header */
	size_t	nh;
	long	expire;
	long long limit;	/* l= to sign up to, -1 for the whole body */
	int	bh;		/* body hasher index */
	EVP_MD_CTX *hmd;	/* header hash, waiting for the signature field */
	char	*out;		/* the DKIM-Signature value made */
};

struct dk_vsig {
	struct dk_sig sig;
	struct dkim_sigresult res;
	char	reason[160];
	size_t	field;			/* index of the signature field */
	int	bh;			/* body hasher index, -1 if none */
	unsigned char hdigest[EVP_MAX_MD_SIZE];
	unsigned hdlen;
	struct dk_lookup *lookup;	/* key lookup under way */
	int	same_key;		/* index of a vsig with the same key, or -1 */
	char	qname[2 * DK_NAME_MAX + 16];
	enum dkim_dns_status kst;
	char	*keytxt;
	char	kreason[128];
	int	pending;		/* 1: to be checked at end of message */
};

struct dkim_msg {
	dkim_ctx *ctx;
	enum dkim_mode mode;
	enum dk_state state;
	char	error[256];
	struct dk_buf arena;
	struct dk_field *fields;
	size_t	nfields;
	size_t	afields;
	size_t	*index;			/* name hash -> lowest field (1-based) */
	size_t	*above;			/* field -> next one up, same hash */
	size_t	isize;			/* slots in index, a power of 2 */
	int	overflow;		/* header block over the ceiling */
	unsigned malformed;		/* lines in the header with no colon */
	uint64_t t_eoh;

	struct dk_bodyhash bh[DK_MAX_BODYHASH];
	size_t	nbh;
	int	canon_on[2];
	struct dk_body body[2];
	struct dk_sink sink[2];

	struct dk_signer signer[DKIM_MAX_SIGNERS];
	size_t	nsigners;

	struct dk_vsig *vsig;
	size_t	nvsig;
	size_t	ignored_sigs;		/* beyond the context's max_sigs */
	struct dkim_author author;	/* From and Sender, as fields came */
	enum dkim_cause author_cause;	/* NONE, or what every signature gets */
	char	author_why[160];

	struct dk_arc *arc;		/* ARC chain state, NULL when none */
	int	arc_seal;		/* a seal is wanted: see arcseal.c */
	int	arc_bh;			/* its body hasher, -1 until eoh */
};

/* msgerr.c */
int	dk_msg_fail(dkim_msg *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* hdrindex.c */
int	dk_field_is(const dkim_msg *, const struct dk_field *, const char *name,
	    size_t nlen);
int	dk_hash_field(dkim_msg *, EVP_MD_CTX *, enum dkim_canon,
	    const struct dk_field *, struct dk_buf *scratch);
int	dk_hash_headers(dkim_msg *, EVP_MD_CTX *, enum dkim_canon,
	    char *const *names, size_t nnames, struct dk_buf *scratch);

/* bodyhash.c */
int	dk_bodyhash_get(dkim_msg *, enum dkim_canon, enum dkim_alg,
	    long long limit);
int	dk_body_finish(dkim_msg *);

/* sign.c */
int	dk_sign_eoh(dkim_msg *);
int	dk_sign_eom(dkim_msg *);
void	dk_sign_free(dkim_msg *);

/* verify.c */
int	dk_verify_eoh(dkim_msg *);
int	dk_verify_eom(dkim_msg *);
void	dk_verify_free(dkim_msg *);
/* verify.c, shared with arc.c */
void	dk_vsig_result(struct dk_vsig *, enum dkim_cause, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	dk_vsig_prepare(dkim_msg *, struct dk_vsig *, enum dk_sig_kind,
	    time_t now, struct dk_buf *scratch);
void	dk_vsig_judge(dkim_msg *, struct dk_vsig *, const struct dk_vsig *o);
int	dk_hash_blanked(dkim_msg *, EVP_MD_CTX *, enum dkim_canon,
	    const struct dk_field *, const struct dk_sig *,
	    struct dk_buf *scratch);

/* arc.c: the ARC chain of a message being verified (RFC 8617 §5.2) */
int	dk_arc_eoh(dkim_msg *);
void	dk_arc_eom(dkim_msg *);
void	dk_arc_free(dkim_msg *);
/* sign.c, shared with arcseal.c: folding a field value being made */
int	dk_fold_add(struct dk_buf *, size_t *col, const char *tag);
int	dk_fold_b(struct dk_buf *, const char *sig64);

#endif /* DK_MSG_H */
