/*
 * quickack.h - immediate ACKs on the MTA's TCP connections (quickack.c)
 */
#ifndef QUICKACK_H
#define QUICKACK_H

void	quickack_enable(void);

#endif /* QUICKACK_H */
