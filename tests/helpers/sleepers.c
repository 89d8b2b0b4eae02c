/* sleepers N: N processes that leave the process group and session (setsid) and ignore
 * SIGTERM, so that only a cgroup-wide SIGKILL ends them all; prints "ready N" on stdout when
 * every one exists. The parent ignores SIGTERM too and waits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100, made = 0;
	int ready[2];

	signal(SIGTERM, SIG_IGN);
	if (pipe(ready) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			break;
		}
		if (pid == 0) {
			char c = 1;

			setsid();
			close(ready[0]);
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			close(ready[1]);
			for (;;)
				pause();
		}
		made++;
	}
	close(ready[1]);
	for (int got = 0; got < made;) {
		char buf[512];
		ssize_t r = read(ready[0], buf, sizeof(buf));

		if (r <= 0)
			break;
		got += r;
	}
	printf("ready %d\n", made);
	fflush(stdout);
	for (;;)
		pause();
}
