/* O_NOFOLLOW refuses a symbolic link as the last component; O_NONBLOCK keeps the open of a
 * FIFO from waiting for a writer; fstat then refuses anything that is not a regular file
 * (a FIFO, /dev/zero) before a byte is read, and a size beyond the limit (a sparse 64 GB
 * file) before any memory is taken. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "infile.h"
#include "util.h"

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

int infile_read(const char *path, size_t max, char **buf, size_t *len, char *err,
		size_t errlen)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd, ret;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP) {
			snprintf(err, errlen, "%s: is a symbolic link (refused)", path);
			return -EBADMSG;
		}
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s, not a regular file (refused)", path,
			 kind_of(st.st_mode));
		close(fd);
		return -EBADMSG;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		snprintf(err, errlen, "%s: %lld bytes, more than the %zu MiB a plausible one has",
			 path, (long long)st.st_size, max >> 20);
		close(fd);
		return -EBADMSG;
	}
	/* one byte more than fstat said: a file that grows while it is read is cut at its size
	 * then, and one that shrinks is read to its end */
	b = xcalloc(1, (size_t)st.st_size + 2);
	while (got < (size_t)st.st_size + 1) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			free(b);
			close(fd);
			return ret;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	if (got > (size_t)st.st_size)
		got = st.st_size;
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}
