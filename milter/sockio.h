/*
 * sockio.h - buffered reads on the MTA's connections (sockio.c)
 *
 * sockio.c defines accept(), close(), read(), poll() and writev() for
 * the whole process; only descriptors that accept() returned are
 * buffered.
 */
#ifndef SOCKIO_H
#define SOCKIO_H

struct sockio_stats {
	unsigned long reads;	/* read(2) calls on accepted connections */
	unsigned long served;	/* reads answered from a buffer */
	unsigned long sends;	/* sendmsg(2) calls */
	unsigned long held;	/* header changes sent with a later packet */
};

void	sockio_stats(struct sockio_stats *);

#endif /* SOCKIO_H */
