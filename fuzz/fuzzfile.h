/*
 * fuzzfile.h - helpers of the fuzz targets that load files (conf, table)
 *
 *	fuzzfile_path(slot, data, size)	the path of a memory file holding
 *					data; slot 0..3, reused each run
 *	fuzzfile_copy(src, dst)		copy a file (keys for the seeds)
 *	fuzzfile_report			a conf_report_fn that checks each
 *					line names a file and says something
 *
 * The loaders read paths, so the input goes to a memfd and the loader
 * gets "/proc/self/fd/N". Nothing here is used outside fuzz/.
 */
#ifndef FUZZFILE_H
#define FUZZFILE_H

#define _GNU_SOURCE
#include <sys/mman.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fuzzfile_path - write data to memory file slot, return its path */
static const char *
fuzzfile_path(int slot, const unsigned char *data, size_t size)
{
	static int fds[4] = { -1, -1, -1, -1 };
	static char paths[4][64];

	if (fds[slot] < 0) {
		if ((fds[slot] = memfd_create("fuzz", 0)) < 0)
			abort();
		snprintf(paths[slot], sizeof(paths[slot]), "/proc/self/fd/%d",
		    fds[slot]);
	}
	if (ftruncate(fds[slot], 0) < 0 ||
	    (size > 0 && pwrite(fds[slot], data, size, 0) != (ssize_t)size))
		abort();
	return paths[slot];
}

/* fuzzfile_copy - copy src to dst (mode 0600); silently does nothing
 * when src is missing, so a target still runs outside the source tree */
static void
fuzzfile_copy(const char *src, const char *dst)
{
	char	buf[65536];
	FILE	*in, *out;
	size_t	n;
	int	fd;

	if ((in = fopen(src, "r")) == NULL)
		return;
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (out = fdopen(fd, "w")) == NULL)
		abort();
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
}

/* fuzzfile_report - every report is one non-empty line naming a file */
static void
fuzzfile_report(void *arg, int warn, const char *msg)
{
	(void)arg;
	(void)warn;
	if (msg == NULL || *msg == '\0' || strchr(msg, ':') == NULL)
		abort();
}

#endif /* FUZZFILE_H */
