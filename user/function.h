/* The user's own Python function as a workload: checked before anything runs (it imports,
 * it is callable, the models fit it), and the quick spec of `conctrace run --function`. */
#ifndef CT_FUNCTION_H
#define CT_FUNCTION_H
#include <stdbool.h>
#include <stddef.h>
#include "spec.h"
#include "util.h"

struct function_opts {
	const char *function;      /* module:callable */
	const char *args;          /* a YAML flow list, e.g. "[1000, fast]"; NULL: none */
	const char *pythonpath;    /* NULL: none (the working directory is always first) */
	unsigned long long calls;  /* 0: 16 */
	int tasks;                 /* 0: 4 */
	const char *harness;       /* the harness, for the probe */
};

/* Import the function of case pc's workload the way its cases will (interpreter, cwd, env,
 * user). 0 and *is_async; -EINVAL with the harness's reason in err (the traceback's last
 * line of a failed import, "not callable", ...); -errno if it could not run. */
int function_probe(const struct plan_case *pc, const struct ct_user *u, bool as_root,
		   bool *is_async, char *err, size_t errlen);

/* Probe every function workload of the plan, and check its planned models fit it (asyncio
 * needs an async def; asyncio-to-thread and asyncio-process-pool a plain function).
 * 0, or -EINVAL with "SPEC:LINE:COL: workloads[i].FIELD: why" in err. */
int function_check(const struct spec *s, const struct plan *p, const struct ct_user *u,
		   bool as_root, char *err, size_t errlen);

/* The spec of `conctrace run --function`: every model that applies to the function (probed
 * first), the quick spec's defaults. 0 or a negative errno with the message in err. */
int function_spec(const struct function_opts *fo, const struct ct_user *u, bool as_root,
		  struct spec **out, char *err, size_t errlen);

#endif
