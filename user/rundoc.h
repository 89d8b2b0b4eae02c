/* The JSON documents of a run directory (run.json, a case's stacks.json) decoded as untrusted
 * input: parsed with jansson, then every field the renderers use checked for its type and
 * range against the run (thread ids within PID_MAX_LIMIT, CPUs below the case's, frame ids
 * below the frame table, histograms and profiles no longer than the kernel side makes them,
 * every number of the document within +-2^62 so that sums and unit conversions cannot
 * overflow). Errors name the file and where: "FILE:LINE:COLUMN (byte N): ..." for a syntax
 * error, "FILE: cases[0].threads[3].cpus[1]: ..." for a field. */
#ifndef CT_RUNDOC_H
#define CT_RUNDOC_H
#include <jansson.h>
#include <stddef.h>

#define RUNDOC_MAX_ABS   4611686018427387904.0      /* 2^62 */
#define RUNDOC_MAX_INT   4611686018427387904LL

/* run.json's text: the document, or NULL with the reason in err. */
json_t *results_decode(const char *buf, size_t len, const char *name, char *err,
		       size_t errlen);
/* stacks.json's text: 0 with *out, or -EBADMSG with the reason in err. */
int stacks_decode(const char *buf, size_t len, const char *name, json_t **out, char *err,
		  size_t errlen);

/* The checks alone, on parsed documents: 0 or -EBADMSG with the reason in err. */
int results_check(json_t *run, const char *name, char *err, size_t errlen);
int stacks_check(json_t *doc, const char *name, char *err, size_t errlen);

#endif
