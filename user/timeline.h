/* A case's timeline.bin (struct ct_tl_rec records, include/conctrace/sched.h), decoded once
 * for every renderer: read as an untrusted file, every record checked against the case it
 * belongs to, sorted by time; and the state that several renderers follow through it (who
 * holds each CPython process's GIL). */
#ifndef CT_TIMELINE_H
#define CT_TIMELINE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conctrace/sched.h"

#define TL_MAX_TID      4194304u          /* PID_MAX_LIMIT: no thread id is larger */
#define TL_SLACK_NS     (60ull * 1000000000) /* records this far outside the case still fit */

/* What a record must fit: cpu < ncpus; ts within [start, end] widened by TL_SLACK_NS
 * (start 0: any time; end 0: no upper bound). */
struct tl_bounds {
	uint32_t ncpus;
	uint64_t start, end;
};

struct timeline {
	struct ct_tl_rec *rec;        /* by time; records of one time in the file's order */
	size_t n;
	bool present;                 /* the case has a timeline.bin (it may hold no record) */
	uint32_t ncpus;               /* the bounds' CPUs */
	uint64_t first_ts, last_ts;   /* of the records; 0 when there are none */
	size_t cut;                   /* bytes of a partial record at the end, left out */
};

/* The bounds of run.json's case c: its CPUs (the "cpus" array, else CT_MAX_CPUS) and its
 * time (start_mono_ns, wall_ns). */
void tl_bounds_of_case(json_t *c, struct tl_bounds *b);

/* CASE_DIR/timeline.bin for case c. 0 with tl filled (tl->present false when there is no
 * such file; a partial record at the end, a file cut while it was written, is left out with
 * a warning); -EBADMSG when it is not a timeline of this case: not a regular file, larger
 * than INFILE_MAX_TIMELINE, or a record whose type, CPU, thread ids, reason or time does not
 * fit; another negative errno when it cannot be read. err says which, naming the file and
 * the record's byte offset. */
int timeline_load(const char *case_dir, json_t *c, struct timeline *tl, char *err,
		  size_t errlen);
/* The same for len bytes at buf; name is the file's name in messages. */
int timeline_decode(const void *buf, size_t len, const struct tl_bounds *b, const char *name,
		    struct timeline *tl, char *err, size_t errlen);
void timeline_free(struct timeline *tl);

/* The GIL of CPython processes from the timeline's CT_EV_GIL records: prev_tid of process
 * prev_tgid took it after waiting (reason 1) or dropped it to a waiter (0). A drop by a
 * thread not known to hold it changes nothing. At most max processes are followed (the
 * first ones seen), at most TL_MAX_GILS. */
#define TL_MAX_GILS 64
struct tl_gil {
	uint32_t pid;
	uint32_t holder;              /* 0: none known */
	uint64_t since;
};

struct tl_gils {
	struct tl_gil g[TL_MAX_GILS];
	size_t n, max;
};

/* A holder's time that ended: g[idx]'s holder from `from` to `to` (to > from). */
struct tl_gil_span {
	size_t idx;
	uint32_t pid, holder;
	uint64_t from, to;
};

void tl_gils_init(struct tl_gils *g, size_t max);
/* The index of pid's GIL, added when there is room (*added says so); -1 when full. */
long tl_gil_find(struct tl_gils *g, uint32_t pid, bool *added);
/* Follow one GIL record; true with the holder's span it ended in *span. */
bool tl_gil_step(struct tl_gils *g, const struct ct_tl_rec *r, struct tl_gil_span *span);
/* g[idx]'s current holder up to end (the case end); true with its span. */
bool tl_gil_close(const struct tl_gils *g, size_t idx, uint64_t end, struct tl_gil_span *span);

#endif
