/* run.json: the results document itself. */
#include "render.h"
#include "results.h"

int render_json(json_t *run, FILE *out, const struct render_opts *o)
{
	(void)o;
	if (json_dumpf(run, out, JSON_INDENT(1) | JSON_SORT_KEYS))
		return -5;
	fputc('\n', out);
	return 0;
}
