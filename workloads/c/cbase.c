/* C baselines of conctrace's reference workloads: the same shapes as workloads/python
 * without a GIL. cbase --kind {cpu,io,lock,race} --model {sequential,pthreads,fork,epoll,
 * pthreads-mutex,fork-shm,fork-shm-mutex} --tasks N [--size N] [--requests N]
 * [--latency-us N] [--iterations N] [--work N]
 * Writes one JSON line on fd 3 when it is open (same keys as the Python harness). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG 64

static struct {
	const char *kind, *model;
	long tasks, size, requests, latency_us, iterations, work;
} opt = { .tasks = 4, .size = 200000000, .requests = 200, .latency_us = 5000,
	  .iterations = -1, .work = 400 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "cbase: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* CPU work: integer arithmetic the compiler cannot fold away. */
__attribute__((noinline)) uint64_t cpu_work(long units)
{
	uint64_t x = 1;

	for (long i = 0; i < units; i++)
		x = (x * 6364136223846793005ULL + (uint64_t)i) % 1000003;
	return x;
}

static long part(long total, long parts, long i)
{
	return total / parts + (i < total % parts ? 1 : 0);
}

/* ------------------------------------------------------------- the delay server */

struct pending {
	int fd;
	double due;
};

/* One thread in a forked process: answer each 64-byte request after latency_us. */
static void serve(int lfd, int stop_fd)
{
	int ep = epoll_create1(0), cap = 1024, n = 0;
	struct pending *q = calloc(cap, sizeof(*q));
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];

	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = stop_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &ev);
	for (;;) {
		int timeout = -1;

		if (n) {
			double first = q[0].due;

			for (int i = 1; i < n; i++)
				if (q[i].due < first)
					first = q[i].due;
			timeout = (int)((first - now()) * 1000);
			if (timeout < 0)
				timeout = 0;
		}
		int k = epoll_wait(ep, evs, 64, timeout);

		for (int i = 0; i < k; i++) {
			int fd = evs[i].data.fd;

			if (fd == stop_fd)
				_exit(0);
			if (fd == lfd) {
				int c = accept(lfd, NULL, NULL), one = 1;

				if (c < 0)
					continue;
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				continue;
			}
			char buf[MSG];
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_WAITALL);

			if (r <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
				continue;
			}
			if (n == cap) {
				cap *= 2;
				q = realloc(q, cap * sizeof(*q));
			}
			q[n].fd = fd;
			q[n].due = now() + opt.latency_us / 1e6;
			n++;
		}
		double t = now();
		for (int i = 0; i < n;) {
			if (q[i].due <= t) {
				char out[MSG] = {0};
				ssize_t w = send(q[i].fd, out, sizeof(out), MSG_NOSIGNAL);

				(void)w;
				q[i] = q[--n];
			} else {
				i++;
			}
		}
	}
}

static int port;

static pid_t start_server(int *stop_w)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, p[2];
	pid_t pid;

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 1024) < 0)
		die("server socket");
	getsockname(lfd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	if (pipe(p) < 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		close(3);
		serve(lfd, p[0]);
	}
	close(lfd);
	close(p[0]);
	*stop_w = p[1];
	return pid;
}

static int connect_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* ------------------------------------------------------------- latencies */

static double *lat;           /* shared (MAP_SHARED) so forked clients can fill it */
static long *nlat;

static void record_latency(double s)
{
	long i = __atomic_fetch_add(nlat, 1, __ATOMIC_RELAXED);

	if (i < opt.requests)
		lat[i] = s;
}

static void blocking_requests(long count)
{
	int fd = connect_server();
	char buf[MSG] = {0};

	for (long i = 0; i < count; i++) {
		double t0 = now();

		if (send(fd, buf, MSG, 0) != MSG || recv(fd, buf, MSG, MSG_WAITALL) != MSG)
			die("request");
		record_latency(now() - t0);
	}
	close(fd);
}

static void epoll_requests(void)
{
	long n = opt.tasks, done = 0;
	int ep = epoll_create1(0);
	int *fds = calloc(n, sizeof(int));
	long *left = calloc(n, sizeof(long));
	double *sent = calloc(n, sizeof(double));
	char buf[MSG] = {0};
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];

	for (long i = 0; i < n; i++) {
		fds[i] = connect_server();
		left[i] = part(opt.requests, n, i);
		ev.data.u64 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
		if (left[i]) {
			sent[i] = now();
			if (send(fds[i], buf, MSG, 0) != MSG)
				die("send");
		}
	}
	while (done < opt.requests) {
		int k = epoll_wait(ep, evs, 64, -1);

		for (int j = 0; j < k; j++) {
			long i = evs[j].data.u64;

			if (recv(fds[i], buf, MSG, MSG_WAITALL) != MSG)
				die("recv");
			record_latency(now() - sent[i]);
			done++;
			if (--left[i] > 0) {
				sent[i] = now();
				if (send(fds[i], buf, MSG, 0) != MSG)
					die("send");
			}
		}
	}
	for (long i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	free(left);
	free(sent);
}

/* ------------------------------------------------------------- models */

struct job {
	long units;
	pthread_mutex_t *mu;
	long *counter;
};

static void *thread_cpu(void *arg)
{
	struct job *j = arg;
	volatile uint64_t r = cpu_work(j->units);

	(void)r;
	return NULL;
}

static void *thread_io(void *arg)
{
	blocking_requests(((struct job *)arg)->units);
	return NULL;
}

static void *thread_lock(void *arg)
{
	struct job *j = arg;

	for (long i = 0; i < j->units; i++) {
		pthread_mutex_lock(j->mu);
		(*j->counter)++;
		pthread_mutex_unlock(j->mu);
	}
	return NULL;
}

/* race: read the counter, work, write back what was read plus one. Another task that
 * updates the counter inside the window has its update overwritten (lost). */
static volatile long own_counter;   /* fork: each process's own copy */

struct race_job {
	long units;
	pthread_mutex_t *mu;       /* NULL: no lock */
	volatile long *counter;
	long *done;                /* this task's own count, for the report */
};

static void *thread_race(void *arg)
{
	struct race_job *j = arg;

	for (long i = 0; i < j->units; i++) {
		if (j->mu)
			pthread_mutex_lock(j->mu);
		long v = *j->counter;

		/* keep the read before the work: the compiler knows cpu_work touches no memory */
		__asm__ volatile("" ::: "memory");
		volatile uint64_t r = cpu_work(opt.work);

		(void)r;
		*j->counter = v + 1;
		if (j->mu)
			pthread_mutex_unlock(j->mu);
	}
	*j->done = *j->counter;
	return NULL;
}

static void run_threads(void *(*fn)(void *), long total, pthread_mutex_t *mu, long *counter)
{
	pthread_t *t = calloc(opt.tasks, sizeof(*t));
	struct job *j = calloc(opt.tasks, sizeof(*j));

	for (long i = 0; i < opt.tasks; i++) {
		j[i] = (struct job){ part(total, opt.tasks, i), mu, counter };
		if (pthread_create(&t[i], NULL, fn, &j[i]))
			die("pthread_create");
	}
	for (long i = 0; i < opt.tasks; i++)
		pthread_join(t[i], NULL);
	free(t);
	free(j);
}

static void run_forks(void *(*fn)(void *), long total, pthread_mutex_t *mu, long *counter)
{
	for (long i = 0; i < opt.tasks; i++) {
		pid_t p = fork();

		if (p < 0)
			die("fork");
		if (p == 0) {
			struct job j = { part(total, opt.tasks, i), mu, counter };

			close(3);
			fn(&j);
			_exit(0);
		}
	}
	for (long i = 0; i < opt.tasks; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "cbase: a worker process failed\n");
			exit(1);
		}
	}
}

/* The race in one model: the counter the main task reads at the end; own[i] is what task
 * i's own counter read when it finished (for fork: its private copy). */
static long run_race(int threads, int forks, bool shm, bool mutex, long *own)
{
	struct shared { pthread_mutex_t mu; volatile long counter; } *sh =
		mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t a;
	volatile long *counter;

	if (sh == MAP_FAILED)
		die("mmap");
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->mu, &a);
	counter = (forks && !shm) ? &own_counter : &sh->counter;
	if (threads) {
		pthread_t *t = calloc(opt.tasks, sizeof(*t));
		struct race_job *j = calloc(opt.tasks, sizeof(*j));

		for (long i = 0; i < opt.tasks; i++) {
			j[i] = (struct race_job){ part(opt.iterations, opt.tasks, i),
						  mutex ? &sh->mu : NULL, counter, &own[i] };
			if (pthread_create(&t[i], NULL, thread_race, &j[i]))
				die("pthread_create");
		}
		for (long i = 0; i < opt.tasks; i++)
			pthread_join(t[i], NULL);
		free(t);
		free(j);
	} else if (forks) {
		for (long i = 0; i < opt.tasks; i++) {
			pid_t p = fork();

			if (p < 0)
				die("fork");
			if (p == 0) {
				struct race_job j = { part(opt.iterations, opt.tasks, i),
						      mutex ? &sh->mu : NULL, counter, &own[i] };

				close(3);
				thread_race(&j);
				_exit(0);
			}
		}
		for (long i = 0; i < opt.tasks; i++) {
			int st;

			if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
				fprintf(stderr, "cbase: a worker process failed\n");
				exit(1);
			}
		}
	} else {
		struct race_job j = { opt.iterations, NULL, counter, &own[0] };

		thread_race(&j);
	}
	return *counter;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double q, long n)
{
	if (!n)
		return 0;
	long k = (long)(q * (n - 1) + 0.5);
	return lat[k] * 1e3;
}

static void usage(void)
{
	fprintf(stderr, "usage: cbase --kind cpu|io|lock|race --model sequential|pthreads|fork|epoll|"
		"pthreads-mutex|fork-shm|fork-shm-mutex [--tasks N] [--size N] [--requests N] "
		"[--latency-us N] [--iterations N] [--work N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"kind", 1, 0, 'k'}, {"model", 1, 0, 'm'}, {"tasks", 1, 0, 't'}, {"size", 1, 0, 's'},
		{"requests", 1, 0, 'r'}, {"latency-us", 1, 0, 'l'}, {"iterations", 1, 0, 'i'},
		{"work", 1, 0, 'w'}, {0},
	};
	int c, stop_w = -1;
	pid_t server = 0;
	long ops = 0;
	double t0, el;
	struct stat st;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'k': opt.kind = optarg; break;
		case 'm': opt.model = optarg; break;
		case 't': opt.tasks = atol(optarg); break;
		case 's': opt.size = atol(optarg); break;
		case 'r': opt.requests = atol(optarg); break;
		case 'l': opt.latency_us = atol(optarg); break;
		case 'i': opt.iterations = atol(optarg); break;
		case 'w': opt.work = atol(optarg); break;
		default: usage();
		}
	}
	if (opt.iterations < 0)
		opt.iterations = opt.kind && !strcmp(opt.kind, "race") ? 20000 : 2000000;
	if (!opt.kind || !opt.model || opt.tasks < 1 || opt.size < 1 || opt.requests < 1 ||
	    opt.iterations < 1 || opt.latency_us < 0 || opt.work < 0)
		usage();
	int is_seq = !strcmp(opt.model, "sequential"), is_thr = !strcmp(opt.model, "pthreads");
	int is_fork = !strcmp(opt.model, "fork"), is_ep = !strcmp(opt.model, "epoll");
	int is_thr_mu = !strcmp(opt.model, "pthreads-mutex"), is_shm = !strcmp(opt.model, "fork-shm");
	int is_shm_mu = !strcmp(opt.model, "fork-shm-mutex");
	long *own = NULL, final = 0;

	if (!is_seq && !is_thr && !is_fork && !is_ep && !is_thr_mu && !is_shm && !is_shm_mu)
		usage();
	if ((is_thr_mu || is_shm || is_shm_mu) && strcmp(opt.kind, "race")) {
		fprintf(stderr, "cbase: the %s model applies to --kind race only\n", opt.model);
		return 2;
	}
	if (is_ep && strcmp(opt.kind, "io")) {
		fprintf(stderr, "cbase: the epoll model applies to --kind io only\n");
		return 2;
	}
	lat = mmap(NULL, opt.requests * sizeof(double) + 64, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	nlat = (long *)(lat + opt.requests);
	if (lat == MAP_FAILED)
		die("mmap");
	if (!strcmp(opt.kind, "io"))
		server = start_server(&stop_w);
	t0 = now();
	if (!strcmp(opt.kind, "cpu")) {
		ops = opt.size;
		if (is_seq) {
			volatile uint64_t r = cpu_work(opt.size);
			(void)r;
		} else if (is_thr) {
			run_threads(thread_cpu, opt.size, NULL, NULL);
		} else {
			run_forks(thread_cpu, opt.size, NULL, NULL);
		}
	} else if (!strcmp(opt.kind, "io")) {
		ops = opt.requests;
		if (is_seq)
			blocking_requests(opt.requests);
		else if (is_thr)
			run_threads(thread_io, opt.requests, NULL, NULL);
		else if (is_fork)
			run_forks(thread_io, opt.requests, NULL, NULL);
		else
			epoll_requests();
	} else if (!strcmp(opt.kind, "lock")) {
		/* one region shared by threads and by forked processes */
		struct shared { pthread_mutex_t mu; long counter; } *sh =
			mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		pthread_mutexattr_t a;

		if (sh == MAP_FAILED)
			die("mmap");
		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		pthread_mutex_init(&sh->mu, &a);
		ops = opt.iterations;
		if (is_seq) {
			struct job j = { opt.iterations, &sh->mu, &sh->counter };
			thread_lock(&j);
		} else if (is_thr) {
			run_threads(thread_lock, opt.iterations, &sh->mu, &sh->counter);
		} else {
			run_forks(thread_lock, opt.iterations, &sh->mu, &sh->counter);
		}
		if (sh->counter != opt.iterations) {
			fprintf(stderr, "cbase: lost updates: %ld of %ld\n", sh->counter, opt.iterations);
			return 1;
		}
	} else if (!strcmp(opt.kind, "race")) {
		if (is_ep) {
			fprintf(stderr, "cbase: the epoll model applies to --kind io only\n");
			return 2;
		}
		own = mmap(NULL, opt.tasks * sizeof(long), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (own == MAP_FAILED)
			die("mmap");
		ops = opt.iterations;
		final = run_race(is_thr || is_thr_mu, is_fork || is_shm || is_shm_mu,
				 is_shm || is_shm_mu, is_thr_mu || is_shm_mu, own);
	} else {
		usage();
	}
	el = now() - t0;
	if (server) {
		close(stop_w);
		waitpid(server, NULL, 0);
	}
	if (fstat(3, &st) == 0) {
		char line[512];
		long n = *nlat < opt.requests ? *nlat : opt.requests;
		int len;

		qsort(lat, n, sizeof(double), cmp_double);
		len = snprintf(line, sizeof(line), "{\"kind\": \"%s\", \"model\": \"%s\", \"tasks\": %ld, "
			       "\"ops\": %ld, \"elapsed_s\": %.6f, \"ops_per_s\": %.3f", opt.kind,
			       opt.model, opt.tasks, ops, el, el > 0 ? ops / el : 0);
		if (!strcmp(opt.kind, "io"))
			len += snprintf(line + len, sizeof(line) - len, ", \"latency_p50_ms\": %.3f, "
					"\"latency_p99_ms\": %.3f, \"latency_max_ms\": %.3f",
					pct(0.5, n), pct(0.99, n), n ? lat[n - 1] * 1e3 : 0);
		if (own) {
			len += snprintf(line + len, sizeof(line) - len, ", \"expected\": %ld, \"final\": "
					"%ld, \"lost\": %ld, \"shared\": %s, \"locked\": %s",
					opt.iterations, final, opt.iterations - final,
					is_fork ? "false" : "true", is_thr_mu || is_shm_mu ? "true" : "false");
			/* each process's own counter, where nothing is shared */
			if (is_fork || is_seq) {
				len += snprintf(line + len, sizeof(line) - len, ", \"per_task\": [");
				for (long i = 0; i < (is_seq ? 1 : opt.tasks) && len < (int)sizeof(line) - 40; i++)
					len += snprintf(line + len, sizeof(line) - len, "%s%ld", i ? ", " : "",
							own[i]);
				len += snprintf(line + len, sizeof(line) - len, "]");
			}
		}
		snprintf(line + len, sizeof(line) - len, "}\n");
		if (write(3, line, strlen(line)) < 0)
			perror("cbase: fd 3");
	}
	return 0;
}
