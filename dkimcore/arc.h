/*
 * arc.h - the ARC chain state, shared by arc.c and arcseal.c (not public)
 *
 * A message's chain is a table of sets by instance: for each, the
 * fields (index + 1 into the message's fields, 0 when missing) of its
 * ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal, and
 * the seal's cv=. The newest AMS and every seal are checked as
 * signatures by verify.c (struct dk_vsig), the seals with no body.
 */
#ifndef DK_ARC_H
#define DK_ARC_H

#include "msg.h"

enum { ARC_AAR = 0, ARC_AMS, ARC_AS };

enum dk_arc_cv {
	ARC_CV_BAD = 0,		/* missing or not one of the three */
	ARC_CV_NONE,
	ARC_CV_PASS,
	ARC_CV_FAIL
};

struct dk_arcset {
	size_t	f[3];		/* field index + 1, by ARC_AAR.. */
	enum dk_arc_cv cv;	/* of the seal */
};

struct dk_arc {
	struct dkim_arcresult res;
	char	reason[224];
	int	decided;		/* res.result is final */
	size_t	nfields;		/* ARC fields in the message */
	unsigned n;			/* the highest instance seen */
	struct dk_arcset set[DKIM_ARC_MAX + 1];	/* by instance; [0] unused */
	struct dk_vsig ams;		/* the newest AMS */
	int	ams_same;		/* as same[] */
	struct dk_vsig *as;		/* seals 1..n at [0..n-1] */
	unsigned nseals;		/* entries of as[] in use */
	int	same[DKIM_ARC_MAX];	/* key shared with: seal index, or
					   DKIM_ARC_MAX for the AMS; -1 */
};

/* dk_arc_field_kind - ARC_AAR, ARC_AMS, ARC_AS for an ARC field, or -1 */
int	dk_arc_field_kind(const dkim_msg *, const struct dk_field *);

#endif /* DK_ARC_H */
