/* Where conctrace finds its workloads: beside the build tree or the installed prefix. */
#ifndef CT_PATHS_H
#define CT_PATHS_H
#include <stddef.h>

/* The Python harness and the C baseline program; 0 or -ENOENT (out holds the first guess). */
int path_harness(char *out, size_t len);
int path_cbase(char *out, size_t len);

#endif
