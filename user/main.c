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
	fprintf(f, "\nGlobal options: -v/--verbose (repeat for more), -h/--help, --version\n"
		"`conctrace COMMAND --help` describes each command.\n\n"
		"Exit status: 0 success (record: the command's own status), 1 an output could not be\n"
		"written, 2 bad usage or input, 3 not permitted (run with sudo), 4 BPF unavailable or\n"
		"failed to load, 5 command not found or not executable, 6 no such process.\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return CT_EXIT_OK;
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
