/* outdir and fsid: files created through directory descriptors, as the invoking user. The
 * tests that need root (acting as another user) create what they need and say SKIPPED
 * otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "fsid.h"
#include "outdir.h"
#include "util.h"

static char base[64];

static struct ct_user me(void)
{
	return (struct ct_user){ .uid = geteuid(), .gid = getegid(), .name = "me" };
}

/* nobody, with its one group: the unprivileged user of the root-only tests */
static int nobody(struct ct_user *u)
{
	static gid_t g[1];
	struct passwd *pw = getpwnam("nobody");

	if (geteuid() != 0 || !pw)
		return -1;
	g[0] = pw->pw_gid;
	*u = (struct ct_user){ .uid = pw->pw_uid, .gid = pw->pw_gid, .groups = g, .ngroups = 1,
			       .name = "nobody", .from_sudo = true };
	return 0;
}

static char *at(const char *rel)
{
	static char buf[8][512];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", base, rel);
	return buf[k];
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/ct-outdir-XXXXXX");
	assert_non_null(mkdtemp(base));
	chmod(base, 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_rel_ok(void **state)
{
	(void)state;
	assert_true(outdir_rel_ok("."));
	assert_true(outdir_rel_ok("cases/001-cpu-threading-r1"));
	assert_true(outdir_rel_ok("a..b/.c"));
	assert_false(outdir_rel_ok(""));
	assert_false(outdir_rel_ok(NULL));
	assert_false(outdir_rel_ok("/etc"));
	assert_false(outdir_rel_ok("../../../etc/x"));
	assert_false(outdir_rel_ok("cases/../../x"));
	assert_false(outdir_rel_ok("cases/.."));
	assert_false(outdir_rel_ok("cases//x"));
	assert_false(outdir_rel_ok("cases/./x"));
	assert_false(outdir_rel_ok("cases/"));
}

static void test_new_refuses_nonempty_and_force_keeps_old(void **state)
{
	struct ct_user u = me();
	struct outdir_opts o = { .mode = OUTDIR_NEW, .user = &u, .parents = true };
	struct outdir *d;
	char err[512], buf[64];
	FILE *f;

	(void)state;
	assert_int_equal(outdir__open(&d, at("a/b/run"), &o, err, sizeof(err)), 0);
	f = outdir__fopen(d, "report.txt", false);
	assert_non_null(f);
	fputs("first", f);
	assert_int_equal(fclose(f), 0);
	/* a file of that name exists now: never truncated or reused */
	assert_int_equal(outdir__create_fd(d, "report.txt"), -EEXIST);
	assert_int_equal(outdir__create_fd(d, "../x"), -EINVAL);
	outdir__close(d);
	assert_int_equal(outdir__open(&d, at("a/b/run"), &o, err, sizeof(err)), -ENOTEMPTY);
	assert_non_null(strstr(err, "not empty"));
	assert_int_equal(outdir_exit_status(-ENOTEMPTY), CT_EXIT_USAGE);
	o.mode = OUTDIR_FORCE;
	assert_int_equal(outdir__open(&d, at("a/b/run"), &o, err, sizeof(err)), 0);
	outdir__close(d);
	read_file(at("a/b/run.old/report.txt"), buf, sizeof(buf));
	assert_string_equal(buf, "first");
	/* an empty existing directory is used */
	o.mode = OUTDIR_NEW;
	assert_int_equal(outdir__open(&d, at("a/b/run"), &o, err, sizeof(err)), 0);
	outdir__close(d);
	/* not a directory, or "." */
	write_file(at("plain"), "x", 0644);
	assert_int_equal(outdir__open(&d, at("plain"), &o, err, sizeof(err)), -ENOTDIR);
	assert_int_equal(outdir__open(&d, ".", &o, err, sizeof(err)), -EINVAL);
}

static void test_symlinks_are_not_followed(void **state)
{
	struct ct_user u = me();
	struct outdir_opts o = { .mode = OUTDIR_NEW, .user = &u, .parents = true };
	struct outdir *d, *sub;
	char err[512], buf[64];

	(void)state;
	mkdir(at("victim"), 0755);
	write_file(at("victim/report.txt"), "precious", 0600);
	/* the run directory itself a symlink: refused */
	assert_int_equal(symlink(at("victim"), at("runlink")), 0);
	assert_int_equal(outdir__open(&d, at("runlink"), &o, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "symbolic link"));
	/* a file name planted as a symlink in an empty run directory: refused */
	assert_int_equal(outdir__open(&d, at("run2"), &o, err, sizeof(err)), 0);
	assert_int_equal(symlink(at("victim/report.txt"), at("run2/report.txt")), 0);
	assert_int_equal(outdir__create_fd(d, "report.txt"), -EEXIST);
	/* a case directory that is a symlink */
	assert_int_equal(mkdir(at("run2/cases"), 0755), 0);
	assert_int_equal(symlink(at("victim"), at("run2/cases/001")), 0);
	assert_int_equal(outdir__subdir(d, "cases/001", true, &sub), -ELOOP);
	assert_int_equal(outdir__subdir(d, "../victim", false, &sub), -EINVAL);
	assert_int_equal(outdir__subdir(d, "cases/002", true, &sub), 0);
	assert_int_equal(outdir__create_fd(sub, "x") >= 0, 1);
	outdir__close(sub);
	outdir__close(d);
	read_file(at("victim/report.txt"), buf, sizeof(buf));
	assert_string_equal(buf, "precious");
}

static void test_unique_never_reuses(void **state)
{
	struct ct_user u = me();
	struct outdir_opts o = { .mode = OUTDIR_UNIQUE, .user = &u, .parents = true };
	struct outdir *d;
	char err[512];

	(void)state;
	/* a pre-created predictable name, empty, and one planted as a symlink */
	assert_int_equal(mkdir(at("out"), 0755), 0);
	assert_int_equal(mkdir(at("out/record-1"), 0755), 0);
	assert_int_equal(symlink(at("victim"), at("out/record-1-2")), 0);
	assert_int_equal(outdir__open(&d, at("out/record-1"), &o, err, sizeof(err)), 0);
	assert_string_equal(outdir__path(d), at("out/record-1-3"));
	outdir__close(d);
}

static void test_existing_replaces_only_plain_files(void **state)
{
	struct ct_user u = me();
	struct outdir_opts o = { .mode = OUTDIR_EXISTING, .user = &u };
	struct outdir *d;
	char err[512], buf[64];
	int fd;

	(void)state;
	assert_int_equal(mkdir(at("ex"), 0755), 0);
	write_file(at("ex/old.txt"), "old contents", 0644);
	write_file(at("precious"), "precious", 0644);
	assert_int_equal(symlink(at("precious"), at("ex/link.txt")), 0);
	assert_int_equal(link(at("precious"), at("ex/hard.txt")), 0);
	assert_int_equal(mkfifo(at("ex/fifo"), 0644), 0);
	assert_int_equal(outdir__open(&d, at("ex"), &o, err, sizeof(err)), 0);
	fd = outdir__create_fd(d, "old.txt");
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "new", 3), 3);
	close(fd);
	read_file(at("ex/old.txt"), buf, sizeof(buf));
	assert_string_equal(buf, "new");
	assert_int_equal(outdir__create_fd(d, "link.txt"), -ELOOP);
	assert_int_equal(outdir__create_fd(d, "hard.txt"), -EMLINK);
	/* a FIFO without a reader: refused at once (ENXIO from O_NONBLOCK), not a hang */
	fd = outdir__create_fd(d, "fifo");
	assert_true(fd == -ENXIO || fd == -EINVAL);
	outdir__close(d);
	read_file(at("precious"), buf, sizeof(buf));
	assert_string_equal(buf, "precious");
	/* report -o FILE */
	FILE *f = outdir_fopen_path(at("ex/link.txt"), false, &u, err, sizeof(err));
	assert_null(f);
	assert_non_null(strstr(err, "symbolic link"));
	f = outdir_fopen_path(at("ex/new.json.gz"), true, &u, err, sizeof(err));
	assert_non_null(f);
	fputs("{}", f);
	assert_int_equal(fclose(f), 0);
}

static void test_discard_removes_what_it_made(void **state)
{
	struct ct_user u = me();
	struct outdir_opts o = { .mode = OUTDIR_NEW, .user = &u, .parents = true };
	struct outdir *d;
	char err[512];
	struct stat st;

	(void)state;
	assert_int_equal(outdir__open(&d, at("gone"), &o, err, sizeof(err)), 0);
	assert_true(outdir__create_fd(d, "timeline.bin") >= 0);
	outdir__discard(d);
	assert_int_equal(lstat(at("gone"), &st), -1);
}

/* Root only: act as nobody. */
static void test_as_user_permissions_apply(void **state)
{
	struct outdir_opts o = { .mode = OUTDIR_NEW, .parents = true };
	struct ct_user u;
	struct fsid_saved saved;
	struct outdir *d;
	char err[512];
	struct stat st;
	int fd;

	(void)state;
	if (nobody(&u)) {
		print_message("SKIPPED: needs root and a 'nobody' user\n");
		skip();
	}
	o.user = &u;
	assert_int_equal(mkdir(at("home"), 0755), 0);
	assert_int_equal(chown(at("home"), u.uid, u.gid), 0);
	/* a root-owned directory: nothing is created in it, nor below it */
	assert_int_equal(mkdir(at("etcx"), 0755), 0);
	assert_int_equal(outdir__open(&d, at("etcx/newdir/sub"), &o, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "nobody"));
	assert_int_equal(lstat(at("etcx/newdir"), &st), -1);
	/* group root may write, but the user is not in group root: the groups were switched */
	assert_int_equal(mkdir(at("grp"), 0775), 0);
	chmod(at("grp"), 0775);
	assert_int_equal(outdir__open(&d, at("grp/run"), &o, err, sizeof(err)), -EACCES);
	/* an empty root-owned directory named by -o: refused, not written into */
	assert_int_equal(outdir__open(&d, at("etcx"), &o, err, sizeof(err)), -EACCES);
	/* the user's home: everything created belongs to the user, without chown */
	assert_int_equal(outdir__open(&d, at("home/a/run"), &o, err, sizeof(err)), 0);
	fd = outdir__create_fd(d, "report.txt");
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_uid, u.uid);
	assert_int_equal(st.st_gid, u.gid);
	close(fd);
	outdir__close(d);
	assert_int_equal(stat(at("home/a"), &st), 0);
	assert_int_equal(st.st_uid, u.uid);
	/* reading as the user: a root-only file cannot be opened, and root is back after */
	write_file(at("secret"), "secret", 0600);
	assert_int_equal(fsid_enter(&u, &saved), 0);
	assert_true(fsid_is_switched());
	assert_int_equal(open(at("secret"), O_RDONLY), -1);
	assert_int_equal(errno, EACCES);
	fsid_leave(&saved);
	assert_false(fsid_is_switched());
	fd = open(at("secret"), O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
}

/*
 * Root only: a user swaps the run directory conctrace is creating for a symlink to a
 * root-owned directory, as fast as they can, while conctrace creates it and writes a file
 * into it, a few hundred times. No file ever lands in the root-owned directory and the
 * root-owned file there stays root's.
 */
static void test_mkdir_symlink_race(void **state)
{
	struct outdir_opts o = { .mode = OUTDIR_NEW, .parents = true };
	const int tries = 400;
	struct ct_user u;
	struct stat st;
	char err[512], *run, *aside;
	int won = 0, refused = 0, status;
	pid_t pid;

	(void)state;
	if (nobody(&u)) {
		print_message("SKIPPED: needs root and a 'nobody' user\n");
		skip();
	}
	o.user = &u;
	assert_int_equal(mkdir(at("rhome"), 0755), 0);
	assert_int_equal(chown(at("rhome"), u.uid, u.gid), 0);
	assert_int_equal(mkdir(at("rootdir"), 0755), 0);
	write_file(at("rootdir/victim"), "root's", 0644);
	run = xstrdup(at("rhome/run"));
	aside = xstrdup(at("rhome/aside"));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the attacker, as the user: replace whatever is at run with a symlink */
		char *target = at("rootdir"), *planted = xasprintf("%s/report.txt", aside);

		if (setgid(u.gid) || setuid(u.uid))
			_exit(1);
		for (;;) {
			if (rename(run, aside) == 0)
				symlink(target, run);
			unlink(run);
			unlink(planted);
			rmdir(aside);
			unlink(aside);
		}
	}
	for (int i = 0; i < tries; i++) {
		struct outdir *d;
		int fd;

		if (outdir__open(&d, run, &o, err, sizeof(err))) {
			refused++;
			continue;
		}
		fd = outdir__create_fd(d, "report.txt");
		if (fd >= 0) {
			won++;
			close(fd);
			outdir__unlink(d, "report.txt");   /* through the descriptor, never the path */
		}
		outdir__close(d);
		rmdir(run);   /* fails on a symlink: only ever removes the empty run directory */
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	print_message("race: %d of %d tries wrote a file (in the user's own directory), %d "
		      "refused\n", won, tries, refused);
	assert_int_equal(lstat(at("rootdir/report.txt"), &st), -1);
	assert_int_equal(stat(at("rootdir/victim"), &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(stat(at("rootdir"), &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_nlink, 2);   /* no directory appeared in it */
	free(run);
	free(aside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rel_ok),
		cmocka_unit_test_setup_teardown(test_new_refuses_nonempty_and_force_keeps_old, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_are_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_never_reuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_replaces_only_plain_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_discard_removes_what_it_made, setup, teardown),
		cmocka_unit_test_setup_teardown(test_as_user_permissions_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_symlink_race, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
