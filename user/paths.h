/* Where conctrace finds its workloads: beside the build tree or the installed prefix. */
#ifndef CT_PATHS_H
#define CT_PATHS_H
#include <stddef.h>

/* The Python harness and the C baseline program; 0 or -ENOENT (out holds the first guess). */
int path_harness(char *out, size_t len);
int path_cbase(char *out, size_t len);

/* A spec argument as given when it names a file or holds a '/'; otherwise a bare name
 * ("quick", "quick.yaml") is looked up among the shipped specs. 0, or -ENOENT with the
 * argument unchanged in out. */
int path_spec(const char *arg, char *out, size_t len);

/* The directory of the shipped specs (0), or -ENOENT. */
int path_workloads(char *out, size_t len);

#endif
