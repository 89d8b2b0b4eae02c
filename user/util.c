/* Helpers shared by the loader. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <zlib.h>
#include "log.h"
#include "util.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void oom(void)
{
	fputs("conctrace: out of memory\n", stderr);
	abort();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		oom();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

/* An id as sudo writes it: decimal digits only (no sign, space or prefix), below (uid_t)-1,
 * which every set*id call reads as "leave unchanged". */
static int parse_id(const char *s, uid_t *out)
{
	unsigned long long v = 0;

	if (!s || !*s || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v >= (uid_t)-1)
		return -ERANGE;
	*out = (uid_t)v;
	return 0;
}

int ct_user_resolve(struct ct_user *u)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	struct passwd *pw;
	int n = 0;

	memset(u, 0, sizeof(*u));
	if (su && getuid() == 0) {
		if (parse_id(su, &u->uid)) {
			pr_warn("SUDO_UID='%.32s' is not a user id (decimal, below 4294967295): "
				"refusing to guess who invoked sudo\n", su);
			return -EINVAL;
		}
		if (sg && parse_id(sg, &u->gid)) {
			pr_warn("SUDO_GID='%.32s' is not a group id (decimal, below 4294967295)\n", sg);
			return -EINVAL;
		}
		u->from_sudo = true;
	} else {
		u->uid = getuid();
		u->gid = getgid();
	}
	errno = 0;
	pw = getpwuid(u->uid);
	if (!pw && u->from_sudo) {
		pr_warn("SUDO_UID=%u names no user (getpwuid: %s)\n", (unsigned)u->uid,
			errno ? strerror(errno) : "no such user");
		return -ENOENT;
	}
	if (u->from_sudo && !sg)
		u->gid = pw->pw_gid;
	if (pw) {
		u->name = xstrdup(pw->pw_name);
		u->home = xstrdup(pw->pw_dir);
		getgrouplist(pw->pw_name, u->gid, NULL, &n);
		u->groups = xcalloc(n + 1, sizeof(gid_t));
		if (getgrouplist(pw->pw_name, u->gid, u->groups, &n) >= 0)
			u->ngroups = n;
	}
	if (!u->ngroups) {
		if (!u->name)
			u->name = xasprintf("%u", (unsigned)u->uid);
		if (!u->home)
			u->home = xstrdup("/");
		free(u->groups);
		u->groups = xcalloc(1, sizeof(gid_t));
		u->groups[0] = u->gid;
		u->ngroups = 1;
	}
	return 0;
}

void ct_user_free(struct ct_user *u)
{
	free(u->groups);
	free(u->name);
	free(u->home);
	memset(u, 0, sizeof(*u));
}

int ct_user_drop(const struct ct_user *u)
{
	if (getuid() != 0)
		return 0;               /* not privileged: already the user */
	if (setgroups(u->ngroups, u->groups) < 0)
		return -errno;
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return -errno;
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	return 0;
}

const char *fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%luns", (unsigned long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000ull)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", ns / 1e9);
	return buf;
}

uint64_t u64_sat(double v)
{
	if (!(v > 0))
		return 0;
	if (v >= 18446744073709551616.0)
		return UINT64_MAX;
	return (uint64_t)v;
}

const char *fmt_kb(uint64_t kb, char *buf, size_t len)
{
	if (kb < 10240)
		snprintf(buf, len, "%luK", (unsigned long)kb);
	else if (kb < 10240 * 1024)
		snprintf(buf, len, "%.1fM", kb / 1024.0);
	else
		snprintf(buf, len, "%.2fG", kb / 1048576.0);
	return buf;
}

void timestamp_compact(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y%m%d-%H%M%S", &tm);
}

int read_file_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

char *file_tail(const char *path, int max_lines, size_t max_bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *raw = NULL, *out = NULL, *start;
	struct stat st;
	ssize_t n = 0;
	off_t from;
	size_t o = 0;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || !max_bytes)
		goto done;
	from = st.st_size > (off_t)max_bytes ? st.st_size - (off_t)max_bytes : 0;
	raw = xcalloc(1, max_bytes + 1);
	n = pread(fd, raw, max_bytes, from);
	if (n <= 0)
		goto done;
	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r' || raw[n - 1] == ' '))
		n--;
	raw[n] = '\0';
	/* back from the end over max_lines newlines; a cut first line is dropped */
	start = raw + n;
	for (int lines = 0; start > raw; start--)
		if (start[-1] == '\n' && ++lines == max_lines)
			break;
	if (start == raw && from > 0 && strchr(raw, '\n'))
		start = strchr(raw, '\n') + 1;
	/* untrusted bytes: no terminal escapes, valid UTF-8 for run.json */
	out = xcalloc(1, 3 * (raw + n - start) + 1);
	while (start < raw + n) {
		uint32_t cp;
		size_t len = utf8_decode((const unsigned char *)start, raw + n - start, &cp);

		if (len == 0) {
			out[o++] = '?';
			start++;
		} else if (cp < 0x20 ? cp != '\n' && cp != '\t' : cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			out[o++] = '?';
			start += len;
		} else {
			memcpy(out + o, start, len);
			o += len;
			start += len;
		}
	}
	out[o] = '\0';
	if (!o) {
		free(out);
		out = NULL;
	}
done:
	if (fd >= 0)
		close(fd);
	free(raw);
	return out;
}

/* A FILE that gzip-compresses into a gzFile (fopencookie). */
static ssize_t gz_cookie_write(void *c, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		unsigned chunk = len - done > (1u << 30) ? 1u << 30 : (unsigned)(len - done);
		int n = gzwrite((gzFile)c, buf + done, chunk);

		if (n <= 0) {
			errno = EIO;
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int gz_cookie_close(void *c)
{
	int rc = gzclose((gzFile)c);

	if (rc != Z_OK) {
		errno = EIO;
		return -1;
	}
	return 0;
}

bool path_is_gz(const char *path)
{
	size_t n = strlen(path);

	return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

FILE *fdopen_output(int fd, bool gz)
{
	cookie_io_functions_t io = { .write = gz_cookie_write, .close = gz_cookie_close };
	gzFile z;
	FILE *f;

	if (!gz) {
		f = fdopen(fd, "w");
		if (!f) {
			int e = errno;

			close(fd);
			errno = e;
		}
		return f;
	}
	/* level 1: JSON traces shrink about tenfold at a fraction of level 6's time */
	z = gzdopen(fd, "wb1");
	if (!z) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	gzbuffer(z, 1 << 20);
	f = fopencookie(z, "w", io);
	if (!f) {
		int e = errno;

		gzclose(z);   /* closes fd */
		errno = e;
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t c;
	size_t len, k;

	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;          /* no overlong forms */
		else if (s[0] == 0xed)
			hi = 0x9f;          /* no surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;          /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	*cp = c;
	return len;
}

size_t utf8_encode(uint32_t c, char out[4])
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

int fclose_output(FILE *f, int rc)
{
	int e = 0;

	/* errno of the failed fwrite is long gone (the writer made other calls since): write
	 * one more byte to learn why; the caller removes a file that failed */
	if (ferror(f)) {
		clearerr(f);
		fputc(0, f);
		e = fflush(f) != 0 ? errno : EIO;
	} else if (fflush(f) != 0) {
		e = errno;
	}
	if (fclose(f) != 0 && (!e || e == EIO))
		e = errno;
	if (e)
		return -e;
	return rc;
}
