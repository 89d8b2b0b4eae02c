/* Off-CPU reasons: names, and the syscall -> reason table given to the BPF program. */
#ifndef CT_REASONS_H
#define CT_REASONS_H
#include <stdint.h>
#include "conctrace/sched.h"

const char *reason_name(int r);              /* "lock", "gil", ...; NULL when out of range */
int reason_from_name(const char *name);      /* -1 when unknown */
/* Fill table[nr] = reason + 1 for the syscalls that have a reason (0 = other). */
void reason_fill_syscall_table(uint8_t *table, int n);
/* The reason a voluntary switch in syscall nr gets (futex ops are decided in the kernel). */
int reason_of_syscall(long nr);

#endif
