/* Fuzz target: run.json as `conctrace report` reads it (infile, jansson, rundoc's checks)
 * and every renderer that works from run.json alone (text with every case in detail, json,
 * html with its comparison and findings; the case directories are empty). */
#include <stdlib.h>
#include "fuzz.h"
#include "render.h"
#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_opts o = { .details = true, .dir = NULL };
	char err[1024];
	json_t *run;

	fuzz_put("run.json", data, size);
	run = results_load(fuzz_dir(), err, sizeof(err));
	if (!run)
		return 0;
	o.dir = "/nonexistent";
	render_text(run, fuzz_null(), &o);
	render_json(run, fuzz_null(), &o);
	render_html(run, fuzz_null(), &o);
	json_decref(run);
	return 0;
}
