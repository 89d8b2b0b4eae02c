/* Comparing models: per workload, one row per model (medians over repeats), and the
 * findings that check common claims about concurrency models against those rows. */
#ifndef CT_COMPARE_H
#define CT_COMPARE_H
#include <jansson.h>
#include <stdbool.h>
#include "conctrace/sched.h"

struct model_row {
	const char *model;
	const char *kind;            /* reference kind of the workload, or NULL */
	bool baseline;
	int runs, ok;                /* repeats, and those that succeeded */
	int lost;                    /* repeats with a "Not measured" counter above zero */
	char failure[256];           /* why the last failed repeat failed ("" if none did) */
	double wall, wall_min, wall_max;   /* seconds, over successful repeats */
	double speedup;              /* baseline wall / wall; NAN without a baseline */
	double par;                  /* effective parallelism */
	double cpu;                  /* on-CPU seconds */
	double cores;                /* CPUs used */
	double vcs, ivcs;            /* switches per second */
	double off[CT_R_MAX];        /* off-CPU seconds by reason */
	double rq_p99;               /* seconds */
	double migrations;
	double rss_kb;               /* peak RSS summed over processes */
	double anon_kb;              /* anonymous (private) RSS at exit, summed over processes */
	double gil_held;             /* share of its life the busiest CPython process held its
				      * GIL (0-1); NAN without CPython or samples */
	double root_threads;         /* threads of the workload's main process */
	double threads, procs;
	double ops_per_s, lat_p50_ms, lat_p99_ms, lag_p99_ms;   /* NAN when not reported */
	/* A function workload's calls, from its fd-3 report; NAN / NULL otherwise. */
	double calls, errors;        /* summed over the successful repeats */
	const char *digest;          /* of every call's result, first successful repeat */
	bool digest_varies;          /* the repeats returned different results */
	bool results_differ;         /* the digest is not the baseline's */
	const char *sample;          /* the first result, as text */
	const char *first_error;     /* the last line of the first exception's traceback */
	const char *first_traceback;
	const char *start_method;    /* of a process model */
	/* A race workload's counter (medians over the successful repeats); NAN otherwise. */
	double expected, final, race_lost;  /* updates made, as the main task reads it, the gap */
	double own_sum;              /* the tasks' own counters summed, where nothing is shared */
	int shared, locked;          /* -1 unknown */
	double ivcsw_n, gil_drops;   /* involuntary switches; GIL drop requests (hand-offs) */
	double lock_waits, lock_wait_s;  /* futex waits (reason lock): how many, how long */
};

struct workload_cmp {
	const char *name;
	const char *kind;
	struct model_row *rows;
	int nrows;
};

/* A case that exited 0, not timed out, interrupted or failed to start. */
bool compare_case_ok(json_t *c);
/* Why a case failed, for people: "exit status 3", "killed by signal 11 (Segmentation
 * fault)", "timed out after 1.000s", or its error. */
void compare_case_failure(json_t *c, char *buf, size_t len);

/* One row from the repeats of a model (medians over the successful ones). */
void compare_cases_row(json_t **cases, int n, struct model_row *r);
/* Group the cases of a run. Strings point into `run`. */
int compare_run(json_t *run, struct workload_cmp **out, int *n);
void compare_free(struct workload_cmp *w, int n);

enum verdict { V_NA = -1, V_NO = 0, V_YES = 1 };

struct finding {
	char claim[128];
	enum verdict verdict;
	char evidence[480];
};

int findings_evaluate(const struct workload_cmp *w, int n, int ncpus, struct finding **out,
		      int *nout);

#endif
