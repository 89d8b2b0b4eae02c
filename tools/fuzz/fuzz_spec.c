/* Fuzz target: the spec parser (spec_parse_string), and the plan of what it accepts. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[1024];
	struct plan_opts o = { .repeat = 1 };   /* a spec's repeat: 1000 x its cases */
	struct spec *s = NULL;
	struct plan *p = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (spec_parse_string(text, "fuzz.yaml", &s, err, sizeof(err)) == 0) {
		if (spec_plan(s, &o, &p, err, sizeof(err)) == 0)
			plan_free(p);
		spec_free(s);
	} else if (s || !err[0]) {
		abort();   /* a failure allocates nothing and always says why */
	}
	free(text);
	return 0;
}
