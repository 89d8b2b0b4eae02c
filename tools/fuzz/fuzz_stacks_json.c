/* Fuzz target: a case's stacks.json as the case renderers read it, for the fixture's case:
 * pprof, folded stacks and both flame-graph SVGs, Perfetto's stacks on slices. */
#include "fuzz.h"
#include "render.h"
#include "render_flame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *run = fuzz_fixture_run(), *c = json_array_get(json_object_get(run, "cases"), 0);
	struct render_opts o = { .dir = fuzz_dir() };

	fuzz_put("stacks.json", data, size);
	render_pprof_case(run, c, fuzz_dir(), fuzz_null(), &o);
	render_oncpu_folded(run, c, fuzz_dir(), fuzz_null(), &o);
	render_offcpu_svg(run, c, fuzz_dir(), fuzz_null(), &o);
	render_perfetto_case(run, c, fuzz_dir(), fuzz_null(), &o);
	return 0;
}
