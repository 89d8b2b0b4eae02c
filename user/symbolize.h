/* Symbolisation of kernel and user stack addresses, from snapshots taken while processes live. */
#ifndef CT_SYMBOLIZE_H
#define CT_SYMBOLIZE_H
#include <stddef.h>

/*
 * The symboliser keeps, per pid, the executable mappings seen at snapshot time,
 * and per distinct binary (build-id, else device/inode/mtime/size) its parsed
 * function symbols, so a process can be symbolised after it exits and a binary
 * mapped by a thousand workers is parsed once. Not thread-safe.
 */
struct symbolizer;

/*
 * One resolved frame. Strings belong to the symboliser and live until
 * symbolizer__free().
 *   name    the function, NULL when unknown (never guessed); kernel module
 *           symbols read "sym [mod]"
 *   module  basename of the mapped object, "[kernel]", "[perf-map]", a pseudo
 *           mapping such as "[vdso]", or NULL when the address lies in no
 *           known mapping
 *   offset  with a name: addr - symbol start; without a name but with a
 *           module: the offset in the file (a kernel address stays as is)
 */
struct sym_result {
	const char *name;
	const char *module;
	unsigned long long offset;
};

struct symbolizer_stats {
	int objects_parsed;   /* ELF files whose symbols were read */
	int cache_hits;       /* mappings resolved to an already parsed object */
	int processes;        /* distinct pids snapshotted */
};

struct symbolizer *symbolizer__new(void);
void symbolizer__free(struct symbolizer *s);

/* Colon-separated roots of separate debug files; NULL restores "/usr/lib/debug". */
int symbolizer__set_debug_dirs(struct symbolizer *s, const char *dirs);
/* Read kernel symbols from another file than /proc/kallsyms (NULL: the default). */
int symbolizer__set_kallsyms(struct symbolizer *s, const char *path);

/*
 * Read the executable mappings (and /tmp/perf-PID.map) of a live process and
 * parse the objects it maps. A new snapshot of a known pid merges: new
 * mappings replace the old ones they overlap, the rest stay.
 * Returns 0, -ESRCH if the process is gone, or another -errno.
 */
int symbolizer__snapshot(struct symbolizer *s, int pid);
/*
 * The same from a /proc/PID/maps text: object paths are opened under root
 * (NULL: as they are), and perf_map_path (may be NULL) names a JIT map.
 */
int symbolizer__snapshot_from(struct symbolizer *s, int pid, const char *maps_text,
			      const char *root, const char *perf_map_path);

/*
 * Resolve an address. 0 when a name was found, -ENOENT when not (out still
 * holds the module and file offset if known), -ESRCH for a pid never
 * snapshotted, -EACCES when the kernel hides its addresses (kptr_restrict).
 */
int symbolizer__user(struct symbolizer *s, int pid, unsigned long long addr,
		     struct sym_result *out);
int symbolizer__kernel(struct symbolizer *s, unsigned long long addr, struct sym_result *out);
/* A BPF_STACK_BUILD_ID frame: an object already seen, else a debug file by build-id. */
int symbolizer__build_id(struct symbolizer *s, const unsigned char *build_id, int len,
			 unsigned long long file_offset, struct sym_result *out);

void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st);

/* "name", else "module+0xOFF", else "[unknown]"; returns buf. */
const char *sym_format(const struct sym_result *r, char *buf, size_t len);

#endif
