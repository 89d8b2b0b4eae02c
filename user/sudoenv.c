/* The invoking user's environment under sudo: sudo runs us with its secure_path as PATH
 * and without VIRTUAL_ENV, but its own process (our parent: the sudo front end, or its
 * monitor, which is a fork of it) still holds the environment the user ran it with. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "runner.h"
#include "sudoenv.h"

/* Our parent's environment when the parent is sudo; a NUL-separated block, or NULL. */
static char *sudo_environ(size_t *len)
{
	char link[64], exe[PATH_MAX], *buf;
	const char *base;
	ssize_t n, got = 0;
	int fd;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)getppid());
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	if (strcmp(base ? base + 1 : exe, "sudo"))
		return NULL;
	snprintf(link, sizeof(link), "/proc/%d/environ", (int)getppid());
	fd = open(link, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = xcalloc(1, 1 << 20);
	while (got < (1 << 20) - 1 && (n = read(fd, buf + got, (1 << 20) - 1 - got)) > 0)
		got += n;
	close(fd);
	*len = got;
	return buf;
}

static const char *env_get(const char *env, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = env; p < env + len; p += strlen(p) + 1)
		if (!strncmp(p, name, nl) && p[nl] == '=')
			return p + nl + 1;
	return NULL;
}

/* Paths from the user's environment end up in a message: no terminal escapes. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void sudo_check_resolution(const char *name, const struct ct_user *u, const char *what,
			   const char *pick)
{
	char here[PATH_MAX], there[PATH_MAX], rhere[PATH_MAX], rthere[PATH_MAX], venvnote[PATH_MAX + 32] = "";
	const char *upath, *venv;
	size_t len = 0;
	char *env;

	if (!u->from_sudo || !name || !*name || strchr(name, '/'))
		return;
	env = sudo_environ(&len);
	if (!env)
		return;
	upath = env_get(env, len, "PATH");
	venv = env_get(env, len, "VIRTUAL_ENV");
	if (!upath || runner_resolve_in(name, upath, u, there, sizeof(there)))
		goto out;
	if (runner_resolve(name, u, here, sizeof(here)))
		snprintf(here, sizeof(here), "nothing");
	if (realpath(here, rhere) && realpath(there, rthere) && !strcmp(rhere, rthere))
		goto out;
	if (venv && !strncmp(there, venv, strlen(venv)) && there[strlen(venv)] == '/')
		snprintf(venvnote, sizeof(venvnote), ", of the virtualenv %s", venv);
	printable(here);
	printable(there);
	printable(venvnote);
	pr_warn("under sudo, %s '%s' runs %s (sudo's PATH); in your own PATH it is %s%s: to "
		"run that one, give its path (%s), or run sudo env \"PATH=$PATH\" conctrace ...\n",
		what, name, here, there, venvnote, pick);
out:
	free(env);
}
