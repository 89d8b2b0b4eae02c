/* Reading a file of a run directory, which anyone who could write there may have replaced:
 * only a regular file (not a symbolic link, a FIFO, a device or a directory) of a plausible
 * size is read, and opening it never blocks. */
#ifndef CT_INFILE_H
#define CT_INFILE_H
#include <stddef.h>

/* Plausible sizes of the run directory's files: an error beyond (docs/run-json.md). */
#define INFILE_MAX_RUN_JSON   (256u << 20)
#define INFILE_MAX_STACKS     (1024u << 20)
#define INFILE_MAX_TIMELINE   (2048u << 20)

/* The whole file at path, at most max bytes, into *buf (NUL-terminated, free() it) and *len.
 * 0; -ENOENT when there is no such file (err says so too); -EBADMSG when it is not a regular
 * file or is larger than max; another negative errno when it cannot be read. err holds
 * "PATH: REASON" on every failure. */
int infile_read(const char *path, size_t max, char **buf, size_t *len, char *err,
		size_t errlen);

#endif
