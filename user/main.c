/* conctrace: the command table and global options. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "log.h"
#include "util.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{"run", cmd_run, "run a workload spec in every concurrency model and compare them"},
	{"record", cmd_record, "trace one command, or a running process tree (-p PID)"},
	{"diff", cmd_diff, "what changed between two runs (or two cases), with diff flame graphs"},
	{"report", cmd_report, "render a saved run directory again"},
	{"help", cmd_help, "this help"},
	{"version", cmd_version, "print the version"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: conctrace [-v] COMMAND [ARGS...]\n\n"
		"Trace how programs use threads, processes, locks and CPUs, with eBPF.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n"
		"Global options:\n"
		"  -v, --verbose         more messages (repeat for more)\n"
		"  -h, --help            this help\n"
		"      --version         print the version\n"
		"\n"
		"`conctrace help COMMAND` (or `conctrace COMMAND --help`) describes each command;\n"
		"man pages: conctrace(1), conctrace-COMMAND(1), conctrace-spec(5).\n"
		"\n"
		"Exit status:\n"
		"  0  success (record -- CMD: CMD's own status, 128+N if signal N killed it)\n"
		"  1  an output could not be written\n"
		"  2  bad usage or input (a spec error names file:line:column)\n"
		"  3  not permitted: needs root (CAP_BPF and CAP_PERFMON); run with sudo\n"
		"  4  BPF unavailable, or the programs failed to load (-v shows the verifier log)\n"
		"  5  the command (or the spec's python) was not found or is not executable\n"
		"  6  record -p PID: no such process, or a zombie\n"
		"  7  run: a case failed (the others ran; the summary says why)\n"
		"  130  run, record -- CMD: SIGINT (Ctrl-C); what was measured is written\n"
		"  143  run, record -- CMD: SIGTERM; what was measured is written\n");
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return CT_EXIT_OK;
	}
	/* `help CMD` prints exactly what `CMD --help` prints */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0 && cmds[i].fn != cmd_help &&
		    cmds[i].fn != cmd_version) {
			char *hargv[] = { argv[1], (char *)"--help", NULL };

			return cmds[i].fn(2, hargv);
		}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "version") == 0) {
		usage(stdout);
		return CT_EXIT_OK;
	}
	fprintf(stderr, "conctrace: unknown command '%s' (try `conctrace help`)\n", argv[1]);
	return CT_EXIT_USAGE;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("conctrace %s\n", CONCTRACE_VERSION);
	return CT_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	int c, verbosity = LOG_WARN;

	opterr = 0;

	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v': verbosity++; break;
		case 'h': usage(stdout); return CT_EXIT_OK;
		case 'V': return cmd_version(0, NULL);
		default:
			fprintf(stderr, "conctrace: bad option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return CT_EXIT_USAGE;
		}
	}
	log_init(verbosity);
	if (optind >= argc) {
		usage(stderr);
		return CT_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			return cmds[i].fn(argc - optind, argv + optind);
	fprintf(stderr, "conctrace: unknown command '%s' (try `conctrace help`)\n", argv[optind]);
	return CT_EXIT_USAGE;
}
