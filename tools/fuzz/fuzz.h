/* Shared by the fuzz targets (libFuzzer entry points, also built with gcc into replay
 * drivers for the regression tests): a scratch case directory to put the input in, and
 * the export fixture's run, which gives the input a case to be checked against. */
#ifndef CT_FUZZ_H
#define CT_FUZZ_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A directory of its own (made once per process), and the fixture run loaded from
 * CT_FUZZ_FIXTURE (the repository's tests/fixtures/export, set at build time). */
const char *fuzz_dir(void);
json_t *fuzz_fixture_run(void);
/* Write size bytes as fuzz_dir()/name. */
void fuzz_put(const char *name, const uint8_t *data, size_t size);
/* A sink for the renderers' output. */
FILE *fuzz_null(void);

#endif
