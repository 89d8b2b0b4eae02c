/* Fuzz target: a case's timeline.bin, for the fixture's case, through the one decoder and
 * the two renderers that follow it (Perfetto's thread states and flows, report.html's
 * per-core lanes and GIL lanes). */
#include "fuzz.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *run = fuzz_fixture_run(), *c = json_array_get(json_object_get(run, "cases"), 0);
	struct render_opts o = { .dir = fuzz_dir() };

	fuzz_put("timeline.bin", data, size);
	render_perfetto_case(run, c, fuzz_dir(), fuzz_null(), &o);
	render_html(run, fuzz_null(), &o);
	return 0;
}
