/* Which syscalls mean which reason (x86_64 numbers). The BPF side only indexes the table. */
#include <string.h>
#include "reasons.h"

static const char *const names[CT_R_MAX] = {
	[CT_R_LOCK] = "lock", [CT_R_GIL] = "gil", [CT_R_GIL_HANDOFF] = "gil-handoff",
	[CT_R_IO] = "io", [CT_R_POLL] = "poll", [CT_R_SLEEP] = "sleep", [CT_R_CHILD] = "child",
	[CT_R_PREEMPTED] = "preempted", [CT_R_OTHER] = "other",
};

static const struct { short nr; unsigned char reason; } syscalls[] = {
	/* io: data transfer on files, pipes and sockets, and waiting for a connection */
	{0, CT_R_IO}, {1, CT_R_IO}, {17, CT_R_IO}, {18, CT_R_IO}, {19, CT_R_IO}, {20, CT_R_IO},
	{40, CT_R_IO}, {42, CT_R_IO}, {43, CT_R_IO}, {44, CT_R_IO}, {45, CT_R_IO}, {46, CT_R_IO},
	{47, CT_R_IO}, {74, CT_R_IO}, {75, CT_R_IO}, {2, CT_R_IO}, {257, CT_R_IO}, {437, CT_R_IO},
	{275, CT_R_IO}, {276, CT_R_IO}, {278, CT_R_IO}, {288, CT_R_IO}, {295, CT_R_IO},
	{296, CT_R_IO}, {299, CT_R_IO}, {307, CT_R_IO}, {327, CT_R_IO}, {328, CT_R_IO},
	{277, CT_R_IO}, {162, CT_R_IO}, {306, CT_R_IO}, {208, CT_R_IO}, {426, CT_R_IO},
	{326, CT_R_IO}, {16, CT_R_IO} /* ioctl: terminals and devices */,
	/* poll: an event loop waiting for readiness */
	{7, CT_R_POLL}, {23, CT_R_POLL}, {232, CT_R_POLL}, {270, CT_R_POLL}, {271, CT_R_POLL},
	{281, CT_R_POLL}, {441, CT_R_POLL},
	/* sleep */
	{35, CT_R_SLEEP}, {230, CT_R_SLEEP}, {34, CT_R_SLEEP},
	/* child */
	{61, CT_R_CHILD}, {247, CT_R_CHILD},
	/* futex, futex_waitv, futex_wait: decided in the kernel from the op */
	{202, CT_R_LOCK}, {449, CT_R_LOCK}, {455, CT_R_LOCK},
};

const char *reason_name(int r)
{
	return r >= 0 && r < CT_R_MAX ? names[r] : NULL;
}

int reason_from_name(const char *name)
{
	for (int i = 0; i < CT_R_MAX; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int reason_of_syscall(long nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].reason;
	return CT_R_OTHER;
}

void reason_fill_syscall_table(uint8_t *table, int n)
{
	memset(table, 0, n);
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++) {
		/* futex numbers are classified by op in the kernel; leave them out of the table */
		if (syscalls[i].reason == CT_R_LOCK)
			continue;
		if (syscalls[i].nr < n)
			table[syscalls[i].nr] = syscalls[i].reason + 1;
	}
}
