/* The fuzz targets' shared setup: nothing here is fuzzed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "log.h"

#ifndef CT_FUZZ_FIXTURE
#define CT_FUZZ_FIXTURE "tests/fixtures/export"
#endif

const char *fuzz_dir(void)
{
	static char dir[64];

	if (!dir[0]) {
		/* /dev/shm when there is one: a file is written for every input */
		snprintf(dir, sizeof(dir), "%s/ct-fuzz-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			abort();
		log_verbosity = -1;   /* no warnings: a reader warns once per corrupt input */
	}
	return dir;
}

json_t *fuzz_fixture_run(void)
{
	static json_t *run;

	if (!run) {
		json_error_t e;

		run = json_load_file(CT_FUZZ_FIXTURE "/run.json", 0, &e);
		if (!run) {
			fprintf(stderr, "fuzz: %s/run.json: %s\n", CT_FUZZ_FIXTURE, e.text);
			abort();
		}
	}
	return run;
}

void fuzz_put(const char *name, const uint8_t *data, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	f = fopen(path, "we");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		abort();
}

FILE *fuzz_null(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "we");
	if (!f)
		abort();
	return f;
}
