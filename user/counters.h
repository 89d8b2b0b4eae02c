/* The "Not measured" counters of a case (run.json counters): what each one means for the
 * figures and how to avoid it, shared by the text and HTML reports and the exit summary. */
#ifndef CT_COUNTERS_H
#define CT_COUNTERS_H
#include <jansson.h>
#include <stdio.h>

struct counter_info {
	const char *name;
	const char *affects;    /* what is missing or wrong when it is not zero */
	const char *avoid;      /* how to avoid it */
};

/* The explanation of a counter of run.json; NULL for a counter of work done
 * (python_walks) or an unknown one. */
const struct counter_info *counter_info(const char *name);
/* How many of the case's loss counters are not zero. */
int counters_lost(json_t *c);
/* "threads_map_full 3, events_dropped 12" into buf (empty when nothing was lost). */
void counters_list(json_t *c, char *buf, size_t len);
/* One line on stderr for every case of the run that lost something; returns their number. */
int counters_summary(json_t *run, const char *dir);

#endif
