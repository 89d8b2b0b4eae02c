/* Renderers: each reads the results document and writes one format. */
#ifndef CT_RENDER_H
#define CT_RENDER_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct render_opts {
	bool color;
	bool details;             /* run: every case in detail after the comparison */
	int max_threads;          /* rows of the thread table; 0: 20 */
	const char *dir;          /* the run directory, for renderers that write files */
};

/* A run renderer writes one output for the whole run (report.txt, run.json, report.html);
 * a case renderer writes one per case into the case's directory (trace.json, profile.pb.gz,
 * oncpu.folded, ...). A case's directory is DIR/<case "dir" field>; its stacks.json and
 * timeline.bin are there too. */
struct renderer {
	const char *name;
	const char *file;          /* file name in the run (or case) directory */
	int (*render)(json_t *run, FILE *out, const struct render_opts *o);
	int (*render_case)(json_t *run, json_t *c, const char *case_dir, FILE *out,
			   const struct render_opts *o);
	bool binary;               /* not for a terminal */
};

int render_text(json_t *run, FILE *out, const struct render_opts *o);
int render_json(json_t *run, FILE *out, const struct render_opts *o);
int render_html(json_t *run, FILE *out, const struct render_opts *o);
/* The case-level report that record prints, used by render_text. */
void render_text_case(json_t *c, FILE *out, const struct render_opts *o);

struct outdir;
/* Write every case renderer's file into each case's directory, as the run directory's user
 * (outdir.h). Returns 0 or the first error; a failing renderer does not stop the others. */
int render_case_files(json_t *run, struct outdir *dir);
/* DIR/<case dir>, or NULL (after a warning) when the case's "dir" would leave DIR: absolute,
 * with a ".." or empty component (see outdir_rel_ok). */
char *case_dir_path(const char *dir, json_t *c);
/* False (after a message naming the case) when a case's "dir" would leave the run directory. */
bool case_dirs_ok(json_t *run, const char *dir);
/* The case's "dir" ("." when it has none), or NULL when it would leave the run directory. */
const char *case_dir_rel(json_t *c);
/* DIR/report.html (after the case files, which it reads) and DIR/report.txt. */
int render_html_file(json_t *run, struct outdir *dir);
int render_text_file(json_t *run, struct outdir *dir);
const struct renderer *renderer_find(const char *name);
const struct renderer *renderer_list(int *n);
bool want_color(FILE *f);

/* Case renderers: trace.json (Perfetto / Chrome trace events) from the case's timeline.bin,
 * profile.pb.gz (gzip-compressed pprof) from its stacks.json. A missing input file gives the
 * output that can be made without it. */
int render_perfetto_case(json_t *run, json_t *c, const char *case_dir, FILE *out,
			 const struct render_opts *o);
int render_pprof_case(json_t *run, json_t *c, const char *case_dir, FILE *out,
		      const struct render_opts *o);

/* One thread's GIL figures (run.json threads[].gil) as the reports print them; "-" where not
 * measured. */
struct gil_cells {
	char held[32], no_gil[32], wait[32], waits[32], acquired[32], p50[32], p99[32];
	char drop_requests[32], forced[32];
};
void gil_cells(json_t *gil, struct gil_cells *out);

#endif
