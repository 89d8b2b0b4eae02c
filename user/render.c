/* The table of output formats. A new format is a render_<name>.c and one line here. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "render.h"

static const struct renderer renderers[] = {
	{"text", "report.txt", render_text, NULL, false},
	{"json", "run.json", render_json, NULL, false},
};

const struct renderer *renderer_list(int *n)
{
	*n = sizeof(renderers) / sizeof(renderers[0]);
	return renderers;
}

const struct renderer *renderer_find(const char *name)
{
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
		if (strcmp(renderers[i].name, name) == 0)
			return &renderers[i];
	return NULL;
}

bool want_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	if (nc && *nc)
		return false;
	return isatty(fileno(f));
}
