/* conctrace report DIR: render a saved run again, in any format. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "fsid.h"
#include "log.h"
#include "outdir.h"
#include "render.h"
#include "results.h"
#include "util.h"

static void usage(FILE *f)
{
	int n, col;
	const struct renderer *r = renderer_list(&n);

	fprintf(f, "Usage: conctrace report [--format FMT] [-o FILE] RUN_DIR\n"
		"\n"
		"Render a saved run directory again (from its run.json), in any format.\n"
		"\n"
		"  -f, --format FMT      the format (default text, on stdout), one of:\n"
		"                       ");
	col = 23;
	for (int i = 0; i < n; i++) {
		int w = (int)strlen(r[i].name) + 1;

		if (col + w > 80) {
			fprintf(f, "\n                       ");
			col = 23;
		}
		fprintf(f, " %s", r[i].name);
		col += w;
	}
	fprintf(f, "\n"
		"  -o, --output FILE     write FILE instead of stdout (a per-case format without\n"
		"                        -o: a file in each case directory); FILE.gz writes it\n"
		"                        gzip-compressed (the Perfetto UI opens trace.json.gz)\n"
		"  -v, --verbose         more messages (repeat for more)\n"
		"  -h, --help            this help\n");
}

static int render_case_files_one(json_t *run, const char *dir, const struct renderer *r)
{
	struct ct_user me = { .uid = geteuid(), .gid = getegid(), .name = "" };
	struct outdir_opts oo = { .mode = OUTDIR_EXISTING, .user = &me };
	json_t *cases = json_object_get(run, "cases"), *c;
	struct render_opts o = { .dir = dir };
	struct outdir *d;
	char msg[512];
	int err;
	size_t i;

	/* the process is the user already (fsid_drop_for_good): it writes as itself */
	err = outdir__open(&d, dir, &oo, msg, sizeof(msg));
	if (err) {
		pr_warn("%s\n", msg);
		return err;
	}
	json_array_foreach(cases, i, c) {
		struct outdir *cd = NULL;
		FILE *f = NULL;
		int rc = outdir__subdir(d, case_dir_rel(c), false, &cd);

		if (!rc) {
			f = outdir__fopen(cd, r->file, false);
			rc = f ? r->render_case(run, c, outdir__path(cd), f, &o) : -errno;
			if (f && fclose(f) && !rc)
				rc = -EIO;
		}
		if (rc) {
			if (f)
				outdir__unlink(cd, r->file);   /* a partial file would read as whole */
			pr_warn("cannot write %s/%s/%s: %s\n", dir, case_dir_rel(c), r->file,
				rc == -EBADMSG ? "its input is corrupt" : strerror(-rc));
			err = rc;
		} else {
			printf("%s/%s\n", outdir__path(cd), r->file);
		}
		outdir__close(cd);
	}
	outdir__close(d);
	return err;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"verbose", no_argument, NULL, 'v'},
		{},
	};
	const char *format = "text", *outpath = NULL;
	const struct renderer *r;
	struct render_opts ro = {};
	char err[512];
	json_t *run;
	FILE *out = stdout;
	int c, rc;
	struct ct_user me = { .uid = geteuid(), .gid = getegid(), .name = "" };

	optind = 0;   /* 0, not 1: glibc re-reads the optstring (main parsed with "+") */
	opterr = 0;   /* our own messages, prefixed like every other */
	while ((c = getopt_long(argc, argv, "f:o:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'o': outpath = optarg; break;
		case 'v': log_init(log_verbosity + 1); break;
		case 'h': usage(stdout); return CT_EXIT_OK;
		default:
			pr_warn("%s: bad option '%s' (unknown, or missing its value)\n", "report",
				argv[optind - 1]);
			usage(stderr);
			return CT_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		pr_warn("report: give one run directory\n");
		usage(stderr);
		return CT_EXIT_USAGE;
	}
	r = renderer_find(format);
	if (!r) {
		pr_warn("report: unknown format '%s'\n", format);
		usage(stderr);
		return CT_EXIT_USAGE;
	}
	rc = fsid_drop_for_good();   /* report reads and writes as the user who ran sudo */
	if (rc)
		return rc;
	me.uid = geteuid();
	me.gid = getegid();
	run = results_load(argv[optind], err, sizeof(err));
	if (!run) {
		pr_warn("%s\n", err);
		return CT_EXIT_USAGE;
	}
	if (!case_dirs_ok(run, argv[optind])) {
		json_decref(run);
		return CT_EXIT_USAGE;
	}
	if (outpath && r->render_case && json_array_size(json_object_get(run, "cases")) != 1) {
		pr_warn("report: %s has %zu cases and %s is drawn per case: leave out -o to write "
			"one %s in each case directory\n", argv[optind],
			json_array_size(json_object_get(run, "cases")), r->name, r->file);
		json_decref(run);
		return CT_EXIT_USAGE;
	}
	if (outpath) {
		/* -o NAME.gz: compressed (pprof is gzip-framed already) */
		out = outdir_fopen_path(outpath, path_is_gz(outpath) && !r->binary, &me, err,
					sizeof(err));
		if (!out) {
			pr_warn("%s\n", err);
			json_decref(run);
			return CT_EXIT_FAILURE;
		}
	}
	ro.color = !outpath && want_color(stdout);
	ro.dir = argv[optind];
	if (r->render_case) {
		json_t *cases = json_object_get(run, "cases");

		if (!outpath && json_array_size(cases) != 1) {
			/* several cases: one file in each case directory */
			if (out != stdout)
				fclose(out);
			rc = render_case_files_one(run, argv[optind], r);
			json_decref(run);
			return rc == -EBADMSG ? CT_EXIT_USAGE : rc ? CT_EXIT_FAILURE : CT_EXIT_OK;
		}
		if (!outpath && r->binary && isatty(1)) {
			pr_warn("report: %s is binary: give -o FILE\n", format);
			json_decref(run);
			return CT_EXIT_USAGE;
		}
		json_t *c0 = json_array_get(cases, 0);
		char *cdir = case_dir_path(argv[optind], c0);

		rc = r->render_case(run, c0, cdir, out, &ro);
		free(cdir);
	} else {
		rc = r->render(run, out, &ro);
	}
	if (out != stdout ? fclose(out) != 0 : fflush(out) != 0)
		rc = -5;
	json_decref(run);
	if (rc == -EBADMSG) {
		/* a corrupt stacks.json or timeline.bin, named already: no half-made output */
		if (outpath)
			unlink(outpath);
		return CT_EXIT_USAGE;
	}
	if (rc) {
		pr_warn("report: writing failed\n");
		return CT_EXIT_FAILURE;
	}
	return CT_EXIT_OK;
}
