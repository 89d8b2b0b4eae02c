/* Flame graphs of a case: stacks.json -> struct flame, and the folded/SVG case renderers. */
#ifndef CT_RENDER_FLAME_H
#define CT_RENDER_FLAME_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "flame.h"

/* On-CPU: comm;frames... weighted by samples. Off-CPU: reason;comm;frames... weighted by ns. */
struct flame *flame_from_stacks(json_t *stacks, bool oncpu);

struct render_opts;
int render_oncpu_folded(json_t *run, json_t *c, const char *case_dir, FILE *out,
			const struct render_opts *o);
int render_offcpu_folded(json_t *run, json_t *c, const char *case_dir, FILE *out,
			 const struct render_opts *o);
int render_oncpu_svg(json_t *run, json_t *c, const char *case_dir, FILE *out,
		     const struct render_opts *o);
int render_offcpu_svg(json_t *run, json_t *c, const char *case_dir, FILE *out,
		      const struct render_opts *o);

#endif
