/* The only way conctrace creates files and directories: a directory held by a file descriptor. */
#ifndef CT_OUTDIR_H
#define CT_OUTDIR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "util.h"

/*
 * conctrace runs as root in the invoking user's directories. An outdir is one directory,
 * held open; everything in it is created relative to that descriptor, as the user (fsid.h:
 * fsuid, fsgid and groups are the user's for the duration of each call, so the kernel checks
 * the user's permissions and what is created belongs to the user; nothing is chowned):
 *   - files are new (O_CREAT|O_EXCL|O_NOFOLLOW: an existing name, a planted symlink or
 *     hard link is an error, never followed or truncated), except in OUTDIR_EXISTING
 *     directories, where a regular file with one link may be replaced (O_NOFOLLOW, then
 *     checked with fstat before it is truncated);
 *   - subdirectories are walked one component at a time with O_NOFOLLOW|O_DIRECTORY;
 *   - the path given to outdir__open itself is resolved as the user would (a symlink in it
 *     is followed only where the user could follow it and write through it), except its last
 *     component when conctrace creates it: mkdirat, then opened with O_NOFOLLOW, so a
 *     directory swapped for a symlink in between is refused.
 * Errors are negative errno values; outdir__open also writes a sentence for the user into
 * err. Not thread-safe (one writer thread; see fsid.h).
 */
struct outdir;

enum outdir_mode {
	OUTDIR_NEW,       /* a new run directory: created, or an existing empty directory;
			     an existing non-empty one is refused (-ENOTEMPTY) */
	OUTDIR_FORCE,     /* as OUTDIR_NEW, but an existing non-empty directory is first renamed
			     to PATH.old (a previous PATH.old is deleted, as the user) */
	OUTDIR_UNIQUE,    /* PATH is a stem: the first of PATH, PATH-2, ... PATH-99 that does not
			     exist is created (mkdir is the test, so nothing existing is reused) */
	OUTDIR_EXISTING,  /* a directory that may exist (report, diff -o): created when missing;
			     its regular files may be replaced */
};

struct outdir_opts {
	enum outdir_mode mode;
	const struct ct_user *user;   /* whose permissions apply and who owns what is made */
	bool parents;                 /* create missing parent directories, like mkdir -p */
};

/* Open (and create) the directory at path. On success *out holds it. */
int outdir__open(struct outdir **out, const char *path, const struct outdir_opts *o,
		 char *err, size_t errlen);
/* The subdirectory rel (components separated by '/', none empty, "." or ".."; "." alone is
 * d itself) without following any symlink; created (with its parents) when create is set. */
int outdir__subdir(struct outdir *d, const char *rel, bool create, struct outdir **sub);
/* A file named name (one component) in d, open for writing: a descriptor, or -errno. */
int outdir__create_fd(struct outdir *d, const char *name);
/* The same as a FILE (gzip-compressed with zlib when gz); NULL with errno set. */
FILE *outdir__fopen(struct outdir *d, const char *name, bool gz);
/* Rename from to to inside d (to is replaced, never followed): atomic replacement. */
int outdir__rename(struct outdir *d, const char *from, const char *to);
int outdir__unlink(struct outdir *d, const char *name);
/* The path, for messages and for readers (resolved the same way when nothing raced). */
const char *outdir__path(const struct outdir *d);
int outdir__fd(const struct outdir *d);
/* Act as d's user (fsid_enter) while reading files in d by path; fsid_leave(saved) ends it. */
struct fsid_saved;
int outdir__as_user(struct outdir *d, struct fsid_saved *saved);
/* Remove the files this object created and the directory if it created it; then close. */
void outdir__discard(struct outdir *d);
void outdir__close(struct outdir *d);

/* True when rel is a safe relative path inside a directory ("." or a/b/c without "", "."
 * or ".." components and without a leading '/'). */
bool outdir_rel_ok(const char *rel);
/* A file at a user-named path (report -o FILE): its directory opened OUTDIR_EXISTING without
 * creating it, the file replaced as described above. NULL with a sentence in err. */
FILE *outdir_fopen_path(const char *path, bool gz, const struct ct_user *u, char *err,
			size_t errlen);
/* The documented exit status for an outdir__open error: a refused place (exists, not
 * permitted, a symlink, not a directory) is a usage error, anything else a failure. */
int outdir_exit_status(int err);

#endif
