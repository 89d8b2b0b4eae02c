/* The workload spec (a YAML file: workloads x models) and the plan of cases built from it.
 * The schema is described for users in docs/spec.md. */
#ifndef CT_SPEC_H
#define CT_SPEC_H
#include <stdbool.h>
#include <stddef.h>

/* Limits of the schema, shared with the documentation and the tests. */
#define SPEC_MAX_REPEAT     1000
#define SPEC_MAX_TASKS      4096
#define SPEC_MAX_SAMPLE_HZ  10000
#define SPEC_MAX_TIMEOUT_NS (24ull * 3600 * 1000000000)
#define SPEC_MAX_SIZE       1000000000000ull      /* 10^12, for sizes */
#define SPEC_MAX_COUNT      1000000000ull         /* 10^9, for requests and iterations */
#define SPEC_MAX_LATENCY_NS (3600ull * 1000000000) /* 1h */
#define SPEC_MAX_NAME       100
#define SPEC_MAX_ARGS_DEPTH 32                    /* nesting of a function's args */
/* Limits of a spec file, each an error naming the file (and line:column where there is one):
 * its size, the nesting of mappings and lists, and its nodes once aliases are expanded. */
#define SPEC_MAX_FILE       (16 << 20)
#define SPEC_MAX_DEPTH      64
#define SPEC_MAX_NODES      4000000

struct spec_model {
	char *name;
	char **argv;         /* custom workloads only: NULL-terminated; NULL for reference models */
	char **env;          /* "K=V", NULL-terminated; NULL when none */
	char *cwd;           /* NULL: the current directory */
	int line, col;       /* where the model is named in the spec (1-based) */
};

struct spec_workload {
	char *name;
	char *description;   /* NULL when none */
	char *kind;          /* cpu, io, mixed, lock or convoy; NULL for a custom or function
			      * workload */
	/* A function workload (the user's Python callable in each model); NULL otherwise. */
	char *function;      /* "package.module:callable" */
	char *args_json;     /* JSON list: the arguments of every call; NULL: none */
	char *task_args_json;/* JSON list of lists, one per task (args: {per_task: ...}) */
	unsigned long long calls;   /* calls in all, split over the tasks; 0: the harness's 16 */
	char *pythonpath;    /* directories put first on sys.path, ':'-separated; NULL: none */
	char *cwd;           /* working directory of its cases; NULL: the current one */
	int fn_line, fn_col; /* where 'function' is in the spec */
	int ntask_args, args_line, args_col;   /* args.per_task: its length and place */
	/* Parameters of a reference workload; 0 = not set (the harness's default applies). */
	unsigned long long size, work, requests, iterations;
	unsigned long long latency_ns;
	/* Effective values: the workload's own, else the spec's defaults. */
	int tasks, repeat;
	unsigned long long timeout_ns;
	char **env;          /* the workload's own "K=V" (not the defaults'); NULL when none */
	struct spec_model *models;
	int nmodels;
	int line, col;       /* the workload's mapping in the spec */
};

struct spec {
	char *path;          /* as given to spec_load, or the name for errors */
	char *name;
	char *description;   /* NULL when none */
	/* defaults */
	int repeat;
	unsigned long long timeout_ns;
	int tasks;
	char *python;        /* split on spaces into argv words by spec_plan */
	/* defaults.pythons: several interpreters (or commands such as "chroot DIR python3.14"),
	 * each an axis of the comparison; NULL-terminated, NULL when not given. python_labels
	 * are their short names in the tables ("python3.14"), one each, distinct. */
	char **pythons;
	char **python_labels;
	char **env;          /* defaults.env as "K=V", NULL-terminated; NULL when none */
	char *baseline;      /* NULL: the first model of each workload is its baseline */
	/* trace */
	bool stacks;
	int sample_hz;
	bool timeline;
	struct spec_workload *workloads;
	int nworkloads;
};

/* Parse and check a spec. 0, or -EINVAL (a bad spec) / -errno (the file could not be read)
 * with one message in err: "FILE:LINE:COLUMN: MESSAGE", or "FILE: cannot open: REASON".
 * Nothing is allocated on failure. */
int spec_load(const char *path, struct spec **out, char *err, size_t errlen);
/* The same; a non-zero *stop (set by a signal handler) ends it early with -EINTR and
 * "FILE: interrupted ..." in err. */
int spec_load_interruptible(const char *path, const volatile int *stop, struct spec **out,
			    char *err, size_t errlen);
int spec_parse_string(const char *text, const char *name_for_errors, struct spec **out,
		      char *err, size_t errlen);
void spec_free(struct spec *s);

/* Values as written in a spec. parse_duration: a number (integer or decimal) and one unit
 * of ns, us, ms, s, m, h, e.g. "1.5s"; a bare number is -EINVAL. parse_size: an integer with
 * an optional k/K, M or G suffix, powers of 1000 ("64k" = 64000), at most 10^12.
 * Both return 0, -EINVAL (not such a value) or -ERANGE (too large). */
int parse_duration(const char *s, unsigned long long *ns);
int parse_size(const char *s, unsigned long long *out);

struct plan_opts {
	const char *only;    /* comma-separated workload names, or NULL for all */
	const char *models;  /* comma-separated model names, or NULL for all */
	int repeat;          /* > 0: overrides every repeat of the spec */
	const char *harness; /* workloads/python/harness.py when NULL */
	const char *cbase;   /* build/workloads/cbase when NULL */
};

struct plan_case {
	int index;                       /* position in the plan, 0-based */
	const struct spec_workload *wl;  /* points into the spec */
	const struct spec_model *model;  /* points into the spec */
	int repeat;                      /* 0-based */
	char **argv;                     /* NULL-terminated */
	char **env;                      /* defaults.env, then the workload's, then the model's;
					    one "K=V" per key, the most specific value wins;
					    NULL when none */
	const char *cwd;                 /* points into the spec; NULL: current directory */
	unsigned long long timeout_ns;
	bool is_baseline;
	const char *name;                /* the model's name in the tables: model->name, or
					    "model [label]" for one of defaults.pythons */
	const char *python;              /* the interpreter command of a Python case, or NULL */
	char *own_name;                  /* what name points to when it is not the model's */
};

struct plan {
	struct plan_case *cases;
	int ncases;
};

/* Cases in order: for each workload, for each repeat, for each model, so that the repeats of
 * one model are not back to back. The baseline of a workload is spec->baseline if the
 * workload runs it, else its first planned model. The plan points into the spec: free it
 * first. o may be NULL (everything, as the spec says). 0 or -EINVAL with a message in err
 * (an unknown name in --only, a name in --models that no selected workload has, --repeat
 * above 1000). */
int spec_plan(const struct spec *s, const struct plan_opts *o, struct plan **out,
	      char *err, size_t errlen);
void plan_free(struct plan *p);

#endif
