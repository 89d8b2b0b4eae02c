/* Directories and files created through directory descriptors, as the invoking user. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fsid.h"
#include "log.h"
#include "outdir.h"

#define MAX_UNIQUE 99
#define MAX_TREE_DEPTH 16

struct outdir {
	int fd;
	char *path;
	struct ct_user user;      /* a copy: uid, gid, groups and name */
	bool replace;             /* existing regular files may be replaced */
	int parent_fd;            /* where this directory was made (-1: not made here) */
	char *name;
	char **made;              /* the files made here, for outdir__discard */
	int nmade;
};

static void user_copy(struct ct_user *dst, const struct ct_user *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->uid = src->uid;
	dst->gid = src->gid;
	dst->ngroups = src->ngroups > 0 ? src->ngroups : 0;
	dst->groups = xcalloc(dst->ngroups + 1, sizeof(gid_t));
	if (dst->ngroups)
		memcpy(dst->groups, src->groups, dst->ngroups * sizeof(gid_t));
	dst->name = xstrdup(src->name ? src->name : "");
	dst->from_sudo = src->from_sudo;
}

static struct outdir *outdir_new(int fd, const char *path, const struct ct_user *u, bool replace)
{
	struct outdir *d = xcalloc(1, sizeof(*d));

	d->fd = fd;
	d->path = xstrdup(path);
	user_copy(&d->user, u);
	d->replace = replace;
	d->parent_fd = -1;
	return d;
}

bool outdir_rel_ok(const char *rel)
{
	const char *s = rel;

	if (!rel || !*rel || *rel == '/' || strlen(rel) >= 4096)
		return false;
	if (strcmp(rel, ".") == 0)
		return true;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
		if (*s == '/' && !*++s)
			return false;   /* a trailing slash: an empty last component */
	}
	return true;
}

static bool name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/* A directory's contents, read through its own open file description. 1: empty. */
static int dir_empty(int fd)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *dir;
	int empty = 1;

	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -errno;
	}
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(dir);
	return empty;
}

/* Delete dirfd/name and everything under it without following a symlink. */
static int remove_tree(int dirfd, const char *name, int depth)
{
	struct dirent *e;
	DIR *dir;
	int fd, err = 0;

	if (unlinkat(dirfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR)
		return errno == ENOENT ? 0 : -errno;
	if (depth >= MAX_TREE_DEPTH)
		return -ELOOP;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while (!err && (e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			err = remove_tree(fd, e->d_name, depth + 1);
	closedir(dir);
	if (!err && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		err = -errno;
	return err;
}

/* openat(O_DIRECTORY|O_NOFOLLOW), with ELOOP for a symlink (the kernel says ENOTDIR) */
static int open_dir_nofollow(int pfd, const char *name)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == ENOTDIR && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		errno = ELOOP;
	return fd;
}

/* The directory of path's parent components, created with mkdir -p semantics when parents:
 * each existing component resolved as the user would; each new one reopened O_NOFOLLOW. */
static int open_parent(const char *parent, bool parents)
{
	char *p = xstrdup(parent), *save = NULL, *comp;
	int fd = open(parent[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0) {
		free(p);
		return -errno;
	}
	for (comp = strtok_r(p, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (next < 0 && errno == ENOENT && parents) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				err = -errno;
				break;
			}
			next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			err = -errno;
			break;
		}
		close(fd);
		fd = next;
	}
	free(p);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static const char *why(int err)
{
	switch (err) {
	case -ELOOP: return "it is a symbolic link (not followed)";
	case -ENOTDIR: return "it, or a directory above it, is not a directory";
	case -ENOTEMPTY: return "it exists and is not empty";
	default: return strerror(-err);
	}
}

/* Make pfd/name for a new run (modes NEW and FORCE): its descriptor, or -errno. */
static int make_new(int pfd, const char *name, const char *path, bool force, bool *made,
		    char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd, rc;

		*made = mkdirat(pfd, name, 0755) == 0;
		if (!*made && errno != EEXIST)
			return -errno;
		fd = open_dir_nofollow(pfd, name);
		if (fd < 0)
			return -errno;
		if (*made)
			return fd;
		rc = dir_empty(fd);
		if (rc == 1)
			return fd;
		close(fd);
		if (rc < 0)
			return rc;
		if (!force || attempt)
			return -ENOTEMPTY;
		char *old = xasprintf("%s.old", name);

		rc = remove_tree(pfd, old, 0);
		if (!rc && renameat(pfd, name, pfd, old) < 0)
			rc = -errno;
		free(old);
		if (rc) {
			snprintf(err, errlen, "cannot move %s aside to %s.old: %s", path, path,
				 strerror(-rc));
			return rc;
		}
		pr_warn("--force: the previous %s is now %s.old\n", path, path);
	}
	return -ENOTEMPTY;
}

int outdir__open(struct outdir **out, const char *path, const struct outdir_opts *o,
		 char *err, size_t errlen)
{
	char *copy = xstrdup(path), *slash, *name, *shown = NULL;
	const char *parent;
	struct fsid_saved saved;
	int pfd = -1, fd = -1, rc;
	bool made = false;

	*out = NULL;
	err[0] = '\0';
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = '\0';
	slash = strrchr(copy, '/');
	if (slash) {
		*slash = '\0';
		parent = slash == copy ? "/" : copy;
		name = slash + 1;
	} else {
		parent = ".";
		name = copy;
	}
	if (!*name)
		name = ".";   /* "/" */
	if (!*path || (!name_ok(name) && o->mode != OUTDIR_EXISTING)) {
		snprintf(err, errlen, "%s: give a new directory to create", path);
		free(copy);
		return -EINVAL;
	}
	rc = fsid_enter(o->user, &saved);
	if (rc) {
		snprintf(err, errlen, "%s: cannot act as user %u: %s", path, (unsigned)o->user->uid,
			 strerror(-rc));
		free(copy);
		return rc;
	}
	pfd = open_parent(parent, o->parents);
	if (pfd < 0) {
		rc = pfd;
		goto fail;
	}
	switch (o->mode) {
	case OUTDIR_NEW:
	case OUTDIR_FORCE:
		rc = make_new(pfd, name, path, o->mode == OUTDIR_FORCE, &made, err, errlen);
		break;
	case OUTDIR_UNIQUE:
		rc = -EEXIST;
		for (int i = 1; i <= MAX_UNIQUE && rc == -EEXIST; i++) {
			free(shown);
			shown = i == 1 ? xstrdup(name) : xasprintf("%s-%d", name, i);
			rc = mkdirat(pfd, shown, 0755) == 0 ? 0 : -errno;
		}
		if (!rc) {
			made = true;
			rc = open_dir_nofollow(pfd, shown);
			if (rc < 0)
				rc = -errno;
		}
		break;
	default:
		/* the directory the user named, resolved as the user would */
		rc = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rc < 0 && errno == ENOENT && name_ok(name) && o->parents) {
			made = mkdirat(pfd, name, 0755) == 0;
			rc = made ? open_dir_nofollow(pfd, name)
				  : -1;
		}
		if (rc < 0)
			rc = -errno;
		break;
	}
	if (rc < 0)
		goto fail;
	fd = rc;
	/* an existing directory must be writable by the user (AT_EACCESS: the fsuid's view) */
	if (!made && faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		rc = -errno;
		goto fail;
	}
	fsid_leave(&saved);
	if (shown && strcmp(shown, name)) {
		char *full = !slash ? xstrdup(shown) : strcmp(parent, "/") ?
			     xasprintf("%s/%s", parent, shown) : xasprintf("/%s", shown);

		*out = outdir_new(fd, full, o->user, o->mode == OUTDIR_EXISTING);
		free(full);
	} else {
		*out = outdir_new(fd, path, o->user, o->mode == OUTDIR_EXISTING);
	}
	if (made) {
		(*out)->parent_fd = pfd;
		(*out)->name = xstrdup(shown ? shown : name);
	} else {
		close(pfd);
	}
	free(shown);
	free(copy);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (made && pfd >= 0)
		unlinkat(pfd, shown ? shown : name, AT_REMOVEDIR);   /* as the user, and only empty */
	fsid_leave(&saved);
	if (pfd >= 0)
		close(pfd);
	if (!err[0]) {
		bool denied = rc == -EACCES || rc == -EPERM || rc == -EROFS;

		if (denied && o->user->uid != geteuid())
			snprintf(err, errlen, "cannot create or write %s: %s (checked as user %s, "
				 "uid %u, who invoked sudo)", path, why(rc), o->user->name ?
				 o->user->name : "?", (unsigned)o->user->uid);
		else if (rc == -ENOTEMPTY)
			snprintf(err, errlen, "%s exists and is not empty: give another -o, or "
				 "--force to keep it as %s.old", path, path);
		else
			snprintf(err, errlen, "cannot create or write %s: %s", path, why(rc));
	}
	free(shown);
	free(copy);
	return rc;
}

int outdir__subdir(struct outdir *d, const char *rel, bool create, struct outdir **sub)
{
	char *p, *save = NULL, *comp;
	struct fsid_saved saved;
	int fd, err = 0;

	*sub = NULL;
	if (!outdir_rel_ok(rel))
		return -EINVAL;
	err = fsid_enter(&d->user, &saved);
	if (err)
		return err;
	fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		err = -errno;
	p = xstrdup(rel);
	for (comp = strtok_r(p, "/", &save); !err && comp && strcmp(rel, ".");
	     comp = strtok_r(NULL, "/", &save)) {
		int next;

		if (create && mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			err = -errno;
			break;
		}
		next = open_dir_nofollow(fd, comp);
		if (next < 0) {
			err = -errno;
			break;
		}
		close(fd);
		fd = next;
	}
	fsid_leave(&saved);
	free(p);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	char *path = strcmp(rel, ".") ? xasprintf("%s/%s", d->path, rel) : xstrdup(d->path);

	*sub = outdir_new(fd, path, &d->user, d->replace);
	free(path);
	return 0;
}

int outdir__create_fd(struct outdir *d, const char *name)
{
	struct fsid_saved saved;
	struct stat st;
	int fd, err;

	if (!name_ok(name))
		return -EINVAL;
	err = fsid_enter(&d->user, &saved);
	if (err)
		return err;
	if (!d->replace) {
		fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		err = fd < 0 ? -errno : 0;
		if (!err) {
			d->made = xrealloc(d->made, (d->nmade + 1) * sizeof(char *));
			d->made[d->nmade++] = xstrdup(name);
		}
	} else {
		/* O_NONBLOCK: a FIFO planted under the name does not hang the open */
		fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
			    0644);
		err = fd < 0 ? -errno : 0;
		if (!err && fstat(fd, &st) < 0)
			err = -errno;
		else if (!err && !S_ISREG(st.st_mode))
			err = -EINVAL;
		else if (!err && st.st_nlink > 1)
			err = -EMLINK;   /* a hard link to someone else's file */
		else if (!err && (ftruncate(fd, 0) < 0 || fcntl(fd, F_SETFL, 0) < 0))
			err = -errno;
		if (err && fd >= 0)
			close(fd);
	}
	fsid_leave(&saved);
	return err ? err : fd;
}

FILE *outdir__fopen(struct outdir *d, const char *name, bool gz)
{
	int fd = outdir__create_fd(d, name);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen_output(fd, gz);   /* closes fd when it fails */
	return f;
}

int outdir__rename(struct outdir *d, const char *from, const char *to)
{
	struct fsid_saved saved;
	int err;

	if (!name_ok(from) || !name_ok(to))
		return -EINVAL;
	err = fsid_enter(&d->user, &saved);
	if (err)
		return err;
	if (renameat(d->fd, from, d->fd, to) < 0)
		err = -errno;
	fsid_leave(&saved);
	for (int i = 0; !err && i < d->nmade; i++)
		if (strcmp(d->made[i], from) == 0) {
			free(d->made[i]);
			d->made[i] = xstrdup(to);
		}
	return err;
}

int outdir__unlink(struct outdir *d, const char *name)
{
	struct fsid_saved saved;
	int err;

	if (!name_ok(name))
		return -EINVAL;
	err = fsid_enter(&d->user, &saved);
	if (err)
		return err;
	if (unlinkat(d->fd, name, 0) < 0)
		err = -errno;
	fsid_leave(&saved);
	return err;
}

int outdir__as_user(struct outdir *d, struct fsid_saved *saved)
{
	return fsid_enter(&d->user, saved);
}

const char *outdir__path(const struct outdir *d)
{
	return d->path;
}

int outdir__fd(const struct outdir *d)
{
	return d->fd;
}

void outdir__discard(struct outdir *d)
{
	struct fsid_saved saved;

	if (!d)
		return;
	if (fsid_enter(&d->user, &saved) == 0) {
		for (int i = 0; i < d->nmade; i++)
			unlinkat(d->fd, d->made[i], 0);
		if (d->parent_fd >= 0)
			unlinkat(d->parent_fd, d->name, AT_REMOVEDIR);   /* only when empty */
		fsid_leave(&saved);
	}
	outdir__close(d);
}

void outdir__close(struct outdir *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	if (d->parent_fd >= 0)
		close(d->parent_fd);
	for (int i = 0; i < d->nmade; i++)
		free(d->made[i]);
	free(d->made);
	free(d->name);
	free(d->path);
	free(d->user.groups);
	free(d->user.name);
	free(d);
}

FILE *outdir_fopen_path(const char *path, bool gz, const struct ct_user *u, char *err,
			size_t errlen)
{
	struct outdir_opts o = { .mode = OUTDIR_EXISTING, .user = u };
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	char *dir = slash ? (slash == path ? xstrdup("/") : strndup(path, slash - path))
			  : xstrdup(".");
	struct outdir *d;
	FILE *f = NULL;
	int rc = dir ? outdir__open(&d, dir, &o, err, errlen) : -ENOMEM;

	if (rc)
		snprintf(err, errlen, "cannot write %s: %s", path, why(rc));
	if (!rc) {
		f = outdir__fopen(d, name, gz);
		if (!f)
			snprintf(err, errlen, "cannot write %s: %s", path,
				 errno == EINVAL ? "not a regular file" :
				 errno == EMLINK ? "it has other hard links (not replaced)" :
				 why(-errno));
		outdir__close(d);
	}
	free(dir);
	return f;
}

int outdir_exit_status(int err)
{
	switch (err) {
	case -EEXIST: case -ENOTEMPTY: case -EACCES: case -EPERM: case -EROFS:
	case -ELOOP: case -ENOTDIR: case -EINVAL: case -ENOENT: case -ENAMETOOLONG:
		return CT_EXIT_USAGE;
	default:
		return CT_EXIT_FAILURE;
	}
}
