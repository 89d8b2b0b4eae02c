/* The "Not measured" counters of a case (run.json counters): what each one means for the
 * figures and how to avoid it, shared by the text and HTML reports and the exit summary. */
#ifndef CT_COUNTERS_H
#define CT_COUNTERS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct counter_info {
	const char *name;
	const char *affects;    /* what is missing or wrong when it is not zero */
	const char *avoid;      /* how to avoid it */
	bool loss;              /* a map overflow or dropped events (figures are missing),
				 * not a note on quality; the comparison flags these */
};

/* The explanation of a counter of run.json; NULL for a counter of work done
 * (python_walks) or an unknown one. */
const struct counter_info *counter_info(const char *name);
/* How many of the case's loss counters (map overflows, drops) are not zero. */
int counters_lost(json_t *c);
/* The case's counters above zero but python_walks, in a fixed order (that of the table,
 * then any unknown one): up to max names and values; returns their number. */
int counters_nonzero(json_t *c, const char **names, long long *vals, int max);
/* "threads_map_full 3, events_dropped 12" into buf: the losses only, or every counter
 * above zero (empty when there is none). */
void counters_list(json_t *c, bool losses_only, char *buf, size_t len);
/* One line on stderr for every case of the run that lost something; returns their number. */
int counters_summary(json_t *run, const char *dir);

#endif
