/*
 * Symboliser: kernel addresses through kallsyms; user addresses through
 * snapshots of /proc/PID/maps and ELF function symbols cached per binary,
 * separate debug files, and JIT perf maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "symbolize.h"
#include "util.h"

#define DEFAULT_DEBUG_DIRS "/usr/lib/debug"
#define DEFAULT_KALLSYMS   "/proc/kallsyms"
#define BUILD_ID_MAX       64
#define OBJ_BUCKETS        1024
#define OVERLAP_SCAN       4      /* symbols looked at behind the nearest one */
#define DELETED_SUFFIX     " (deleted)"

static const char MOD_KERNEL[] = "[kernel]";
static const char MOD_PERF_MAP[] = "[perf-map]";

struct sym {
	uint64_t start;
	uint64_t end;               /* exclusive */
	const char *name;
};

/* A sorted, non-duplicated symbol table; names live in pool or in the intern table. */
struct sym_table {
	struct sym *syms;
	size_t n;
	char *pool;
};

/* A symbol as read, before sorting and bounding. */
struct raw_sym {
	uint64_t start;
	uint64_t size;
	uint64_t bound;             /* end of its section, 0 if unknown */
	const char *name;
	long rank;                  /* lower wins among symbols at one address */
};

struct load_seg {
	uint64_t offset;
	uint64_t vaddr;
	uint64_t filesz;
};

/* One parsed binary, shared by every process that maps it. */
struct sym_object {
	const char *name;           /* interned basename of the first path it was seen at */
	struct sym_table tab;
	struct load_seg *segs;
	int nsegs;
	bool missing;               /* a placeholder: the file was never read */
};

/* Cache keys: 'B' + build-id, or 'F' + dev, inode, mtime, size. */
struct obj_entry {
	struct obj_entry *next;
	struct sym_object *obj;
	int keylen;
	unsigned char key[1 + BUILD_ID_MAX];
};

struct str_entry {
	struct str_entry *next;
	char s[];
};

enum map_kind { PM_FILE, PM_ANON, PM_PSEUDO };

struct proc_map {
	uint64_t start;
	uint64_t end;
	uint64_t offset;
	struct sym_object *obj;     /* NULL: not a file, or the file could not be read */
	const char *module;         /* interned */
	enum map_kind kind;
};

struct proc {
	int pid;
	struct proc_map *maps;      /* sorted by start, disjoint */
	size_t nmaps;
	struct sym_table jit;       /* perf map; names interned */
};

struct symbolizer {
	char **debug_dirs;
	int ndebug_dirs;
	char *kallsyms_path;
	struct sym_table ksyms;
	int kstate;                 /* 0 not read yet, 1 read, or -errno */
	struct obj_entry *obj_buckets[OBJ_BUCKETS];
	struct sym_object **objs;
	size_t nobjs;
	struct str_entry **strs;
	size_t nstr_buckets;
	size_t nstrs;
	struct proc **procs;        /* sorted by pid */
	size_t nprocs, procs_cap;
	struct symbolizer_stats stats;
	uint64_t page_size;
};

/* Where a snapshot reads its files from. */
struct snap_ctx {
	int pid;
	bool live;                  /* /proc/PID/root and /proc/PID/map_files are usable */
	const char *root;           /* prefix for paths when not live, or NULL */
};

/* ---- strings ---------------------------------------------------------- */

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;

	while (n--) {
		h ^= *b++;
		h *= 1099511628211ull;
	}
	return h;
}

static void intern_grow(struct symbolizer *s)
{
	size_t nb = s->nstr_buckets ? s->nstr_buckets * 2 : 256;
	struct str_entry **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < s->nstr_buckets; i++) {
		struct str_entry *e = s->strs[i], *next;

		for (; e; e = next) {
			size_t h = hash_bytes(e->s, strlen(e->s)) & (nb - 1);

			next = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(s->strs);
	s->strs = b;
	s->nstr_buckets = nb;
}

static const char *intern_n(struct symbolizer *s, const char *str, size_t len)
{
	struct str_entry *e;
	size_t h;

	if (s->nstrs >= s->nstr_buckets)
		intern_grow(s);
	h = hash_bytes(str, len) & (s->nstr_buckets - 1);
	for (e = s->strs[h]; e; e = e->next)
		if (!strncmp(e->s, str, len) && !e->s[len])
			return e->s;
	e = xcalloc(1, sizeof(*e) + len + 1);
	memcpy(e->s, str, len);
	e->next = s->strs[h];
	s->strs[h] = e;
	s->nstrs++;
	return e->s;
}

static const char *intern(struct symbolizer *s, const char *str)
{
	return intern_n(s, str, strlen(str));
}

static int read_fd(int fd, char **out, size_t *outlen);

static int read_all(const char *path, char **out, size_t *outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return read_fd(fd, out, outlen);
}

/* All of fd (which it closes), NUL-terminated. */
static int read_fd(int fd, char **out, size_t *outlen)
{
	size_t len = 0, cap = 16384;
	char *buf;
	ssize_t r;
	int err;

	buf = xcalloc(1, cap);
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			free(buf);
			return err;
		}
		if (!r)
			break;
		len += r;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	if (outlen)
		*outlen = len;
	return 0;
}

/* ---- symbol tables ------------------------------------------------------ */

static int raw_cmp(const void *a, const void *b)
{
	const struct raw_sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (!x->size != !y->size)
		return x->size ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Sort, keep one symbol per address, and bound the size-less ones by the next
 * symbol or their section. Names are copied into t->pool, or interned in
 * interner when one is given (so that they outlive t).
 */
static void table_build(struct sym_table *t, struct raw_sym *raw, size_t n, struct symbolizer *interner)
{
	size_t i, k = 0, poolsz = 0, pos = 0;

	memset(t, 0, sizeof(*t));
	if (!n)
		return;
	qsort(raw, n, sizeof(*raw), raw_cmp);
	for (i = 0; i < n; i++)
		if (!k || raw[i].start != raw[k - 1].start)
			raw[k++] = raw[i];
	n = k;
	t->syms = xcalloc(n, sizeof(*t->syms));
	if (!interner) {
		for (i = 0; i < n; i++)
			poolsz += strlen(raw[i].name) + 1;
		t->pool = xcalloc(1, poolsz);
	}
	for (i = 0; i < n; i++) {
		struct sym *sy = &t->syms[i];
		uint64_t end;

		if (raw[i].size) {
			end = raw[i].start + raw[i].size;
		} else {
			end = i + 1 < n ? raw[i + 1].start : raw[i].start + 1;
			if (raw[i].bound > raw[i].start && (i + 1 == n || raw[i].bound < end))
				end = raw[i].bound;
		}
		sy->start = raw[i].start;
		sy->end = end;
		if (interner) {
			sy->name = intern(interner, raw[i].name);
		} else {
			size_t l = strlen(raw[i].name) + 1;

			memcpy(t->pool + pos, raw[i].name, l);
			sy->name = t->pool + pos;
			pos += l;
		}
	}
	t->n = n;
}

static void table_free(struct sym_table *t)
{
	free(t->syms);
	free(t->pool);
	memset(t, 0, sizeof(*t));
}

static const struct sym *table_find(const struct sym_table *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo symbols start at or below addr; a sized one further back may still enclose it */
	for (i = lo; i > 0 && lo - i < OVERLAP_SCAN; i--)
		if (addr < t->syms[i - 1].end)
			return &t->syms[i - 1];
	return NULL;
}

/* ---- ELF ---------------------------------------------------------------- */

static int elf_open(const char *path, int *fdp, Elf **elfp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;

	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return -ENOEXEC;
	}
	*fdp = fd;
	*elfp = e;
	return 0;
}

static void elf_close(int fd, Elf *e)
{
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
}

static int note_build_id(Elf_Data *d, unsigned char *out)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	while (d && off < d->d_size &&
	       (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)d->d_buf + name_off, "GNU", 4) &&
		    nh.n_descsz > 0 && nh.n_descsz <= BUILD_ID_MAX) {
			memcpy(out, (char *)d->d_buf + desc_off, nh.n_descsz);
			return nh.n_descsz;
		}
		off = next;
	}
	return 0;
}

/* Length of the GNU build-id copied to out, 0 if the file has none. */
static int elf_build_id(Elf *elf, unsigned char *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Phdr ph;
	size_t i, nph;
	int n;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		n = note_build_id(elf_getdata(scn, NULL), out);
		if (n > 0)
			return n;
	}
	/* no section headers: the notes are still reachable through PT_NOTE */
	if (elf_getphdrnum(elf, &nph))
		return 0;
	for (i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_NOTE)
			continue;
		n = note_build_id(elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz,
						       ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR), out);
		if (n > 0)
			return n;
	}
	return 0;
}

static void elf_segments(Elf *elf, struct sym_object *o)
{
	size_t i, nph;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &nph) || !nph)
		return;
	o->segs = xcalloc(nph, sizeof(*o->segs));
	for (i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		o->segs[o->nsegs].offset = ph.p_offset;
		o->segs[o->nsegs].vaddr = ph.p_vaddr;
		o->segs[o->nsegs].filesz = ph.p_filesz;
		o->nsegs++;
	}
}

/* The link-time address of a file offset, through the PT_LOAD that maps it. */
static bool object_vaddr(const struct sym_object *o, uint64_t fo, uint64_t page, uint64_t *vaddr)
{
	int i;

	for (i = 0; i < o->nsegs; i++) {
		const struct load_seg *g = &o->segs[i];

		if (fo >= g->offset && fo < g->offset + g->filesz) {
			*vaddr = fo - g->offset + g->vaddr;
			return true;
		}
	}
	/* the page-aligned head of a segment, mapped with it */
	for (i = 0; i < o->nsegs; i++) {
		const struct load_seg *g = &o->segs[i];

		if (fo >= (g->offset & ~(page - 1)) && fo < g->offset + g->filesz) {
			*vaddr = fo - g->offset + g->vaddr;
			return true;
		}
	}
	return false;
}

/* Function symbols of the section of the given type into t; returns how many. */
static size_t elf_func_syms(Elf *elf, Elf64_Word type, struct sym_table *t)
{
	struct raw_sym *raw = NULL;
	Elf_Scn *scn = NULL, *sec;
	size_t i, nsyms, n = 0;
	GElf_Shdr sh, ssh;
	Elf_Data *d;
	GElf_Sym sym;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			break;
	if (!scn || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
		return 0;
	nsyms = sh.sh_size / sh.sh_entsize;
	raw = xcalloc(nsyms ? nsyms : 1, sizeof(*raw));
	for (i = 0; i < nsyms; i++) {
		int st;
		const char *name;

		if (!gelf_getsym(d, i, &sym))
			continue;
		st = GELF_ST_TYPE(sym.st_info);
		if ((st != STT_FUNC && st != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		raw[n].start = sym.st_value;
		raw[n].size = sym.st_size;
		raw[n].name = name;
		switch (GELF_ST_BIND(sym.st_info)) {
		case STB_GLOBAL: raw[n].rank = 0; break;
		case STB_WEAK:   raw[n].rank = 2; break;
		default:         raw[n].rank = 4; break;
		}
		if (name[0] == '_')
			raw[n].rank++;
		if (sym.st_shndx < SHN_LORESERVE && (sec = elf_getscn(elf, sym.st_shndx)) &&
		    gelf_getshdr(sec, &ssh) && (ssh.sh_flags & SHF_ALLOC) &&
		    sym.st_value >= ssh.sh_addr && sym.st_value < ssh.sh_addr + ssh.sh_size)
			raw[n].bound = ssh.sh_addr + ssh.sh_size;
		n++;
	}
	table_build(t, raw, n, NULL);
	free(raw);
	return t->n;
}

/* ---- separate debug files ----------------------------------------------- */

static bool file_crc_matches(int fd, uint32_t want)
{
	struct stat st;
	void *p;
	uLong crc;

	if (fstat(fd, &st) || st.st_size <= 0)
		return false;
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return false;
	crc = crc32(0L, Z_NULL, 0);
	for (off_t off = 0; off < st.st_size; ) {
		uInt chunk = st.st_size - off > (1 << 30) ? (1u << 30) : (uInt)(st.st_size - off);

		crc = crc32(crc, (const Bytef *)p + off, chunk);
		off += chunk;
	}
	munmap(p, st.st_size);
	return (uint32_t)crc == want;
}

/*
 * Try one candidate debug file: it must carry the binary's build-id (or,
 * without one, match the debuglink CRC), must not be the binary itself, and
 * must hold a .symtab with functions. Fills t on success.
 */
static bool try_debug_file(const char *path, const unsigned char *bid, int bid_len,
			   const uint32_t *crc, const struct stat *self, struct sym_table *t)
{
	unsigned char dbid[BUILD_ID_MAX];
	struct stat st;
	Elf *e = NULL;
	int fd = -1, n;
	bool ok = false;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return false;
	if (self && st.st_dev == self->st_dev && st.st_ino == self->st_ino)
		return false;
	if (elf_open(path, &fd, &e))
		return false;
	if (bid_len) {
		n = elf_build_id(e, dbid);
		if (n != bid_len || memcmp(dbid, bid, n)) {
			pr_debug("debug file %s: build-id differs, ignored\n", path);
			goto out;
		}
	} else if (crc && !file_crc_matches(fd, *crc)) {
		pr_debug("debug file %s: debuglink CRC differs, ignored\n", path);
		goto out;
	}
	ok = elf_func_syms(e, SHT_SYMTAB, t) > 0;
out:
	elf_close(fd, e);
	return ok;
}

static const char *section_data(Elf *elf, const char *want, size_t *len)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	Elf_Data *d;
	const char *name;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, want))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return NULL;
		*len = d->d_size;
		return d->d_buf;
	}
	return NULL;
}

/*
 * Symbols from a separate debug file: by build-id under each debug dir, then
 * by .gnu_debuglink name in DEBUGDIR/<dir>/, <dir>/.debug/ and <dir>/.
 * path is the binary's path as the process sees it, root the prefix to reach it.
 */
static bool debug_syms(struct symbolizer *s, Elf *elf, const unsigned char *bid, int bid_len,
		       const char *path, const char *root, const struct stat *self, struct sym_table *t)
{
	char hex[2 * BUILD_ID_MAX + 1], *cand, *dir = NULL;
	const char *link, *slash;
	size_t len, namelen;
	uint32_t crc = 0;
	GElf_Ehdr eh;
	int i;
	bool ok = false, have_crc = false;

	if (bid_len > 1) {
		for (i = 0; i < bid_len; i++)
			sprintf(hex + 2 * i, "%02x", bid[i]);
		for (i = 0; i < s->ndebug_dirs && !ok; i++) {
			cand = xasprintf("%s/.build-id/%.2s/%s.debug", s->debug_dirs[i], hex, hex + 2);
			ok = try_debug_file(cand, bid, bid_len, NULL, self, t);
			if (ok)
				pr_debug("symbols of %s from %s\n", path ? path : hex, cand);
			free(cand);
		}
	}
	if (ok || !path || path[0] != '/')
		return ok;
	link = section_data(elf, ".gnu_debuglink", &len);
	if (!link || !(namelen = strnlen(link, len)) || namelen == len)
		return false;
	/* the CRC follows the NUL-terminated name, 4-byte aligned, in the file's byte order */
	if (((namelen + 4) & ~3ul) + 4 <= len && gelf_getehdr(elf, &eh)) {
		const unsigned char *c = (const unsigned char *)link + ((namelen + 4) & ~3ul);

		if (eh.e_ident[EI_DATA] == ELFDATA2MSB)
			crc = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
		else
			crc = (uint32_t)c[3] << 24 | (uint32_t)c[2] << 16 | (uint32_t)c[1] << 8 | c[0];
		have_crc = true;
	}
	slash = strrchr(path, '/');
	dir = xcalloc(1, slash - path + 1);
	memcpy(dir, path, slash - path);
	for (i = 0; i <= s->ndebug_dirs + 1 && !ok; i++) {
		if (i < s->ndebug_dirs)
			cand = xasprintf("%s%s/%.*s", s->debug_dirs[i], dir, (int)namelen, link);
		else if (i == s->ndebug_dirs)
			cand = xasprintf("%s%s/.debug/%.*s", root ? root : "", dir, (int)namelen, link);
		else
			cand = xasprintf("%s%s/%.*s", root ? root : "", dir, (int)namelen, link);
		ok = try_debug_file(cand, bid, bid_len, have_crc ? &crc : NULL, self, t);
		if (ok)
			pr_debug("symbols of %s from %s\n", path, cand);
		free(cand);
	}
	free(dir);
	return ok;
}

/* ---- the object cache --------------------------------------------------- */

static int key_build_id(unsigned char *key, const unsigned char *bid, int len)
{
	/* BPF pads short build-ids with zeros to 20 bytes: compare without the padding */
	while (len > 0 && !bid[len - 1])
		len--;
	if (len <= 0)
		return 0;
	key[0] = 'B';
	memcpy(key + 1, bid, len);
	return len + 1;
}

static int key_file(unsigned char *key, const struct stat *st)
{
	uint64_t v[5] = { st->st_dev, st->st_ino, st->st_mtim.tv_sec, st->st_mtim.tv_nsec, st->st_size };

	key[0] = 'F';
	memcpy(key + 1, v, sizeof(v));
	return 1 + sizeof(v);
}

static struct sym_object *cache_get(struct symbolizer *s, const unsigned char *key, int keylen)
{
	struct obj_entry *e;

	if (!keylen)
		return NULL;
	for (e = s->obj_buckets[hash_bytes(key, keylen) % OBJ_BUCKETS]; e; e = e->next)
		if (e->keylen == keylen && !memcmp(e->key, key, keylen))
			return e->obj;
	return NULL;
}

static void cache_put(struct symbolizer *s, const unsigned char *key, int keylen, struct sym_object *o)
{
	struct obj_entry *e;
	size_t h;

	if (!keylen)
		return;
	h = hash_bytes(key, keylen) % OBJ_BUCKETS;
	for (e = s->obj_buckets[h]; e; e = e->next) {
		if (e->keylen == keylen && !memcmp(e->key, key, keylen)) {
			e->obj = o;
			return;
		}
	}
	e = xcalloc(1, sizeof(*e));
	e->obj = o;
	e->keylen = keylen;
	memcpy(e->key, key, keylen);
	e->next = s->obj_buckets[h];
	s->obj_buckets[h] = e;
}

static struct sym_object *object_add(struct symbolizer *s, const char *name)
{
	struct sym_object *o = xcalloc(1, sizeof(*o));

	o->name = name;
	s->objs = xrealloc(s->objs, (s->nobjs + 1) * sizeof(*s->objs));
	s->objs[s->nobjs++] = o;
	return o;
}

/* Parse the file behind one mapping, or find it in the cache. */
static struct sym_object *object_for_file(struct symbolizer *s, const char *open_path,
					  const struct stat *st, const char *path,
					  const char *root, const char *module)
{
	unsigned char fkey[1 + BUILD_ID_MAX], bkey[1 + BUILD_ID_MAX], bid[BUILD_ID_MAX];
	struct sym_object *o;
	int fkeylen, bkeylen = 0, bid_len, fd;
	Elf *elf;

	fkeylen = key_file(fkey, st);
	o = cache_get(s, fkey, fkeylen);
	if (o) {
		s->stats.cache_hits++;
		return o;
	}
	if (elf_open(open_path, &fd, &elf)) {
		/* not ELF (or unreadable): remember, so that the next process does not retry */
		pr_debug("cannot read %s as ELF\n", open_path);
		o = object_add(s, module);
		cache_put(s, fkey, fkeylen, o);
		return o;
	}
	bid_len = elf_build_id(elf, bid);
	bkeylen = key_build_id(bkey, bid, bid_len);
	o = cache_get(s, bkey, bkeylen);
	if (o && !o->missing) {
		s->stats.cache_hits++;
	} else {
		o = object_add(s, module);
		elf_segments(elf, o);
		if (!elf_func_syms(elf, SHT_SYMTAB, &o->tab) &&
		    !debug_syms(s, elf, bid, bid_len, path, root, st, &o->tab))
			elf_func_syms(elf, SHT_DYNSYM, &o->tab);
		s->stats.objects_parsed++;
		cache_put(s, bkey, bkeylen, o);
	}
	cache_put(s, fkey, fkeylen, o);
	elf_close(fd, elf);
	return o;
}

/* ---- process snapshots -------------------------------------------------- */

static struct proc *proc_find(const struct symbolizer *s, int pid, size_t *pos)
{
	size_t lo = 0, hi = s->nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->procs[mid]->pid == pid) {
			if (pos)
				*pos = mid;
			return s->procs[mid];
		}
		if (s->procs[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return NULL;
}

static struct proc *proc_get(struct symbolizer *s, int pid)
{
	struct proc *p;
	size_t pos;

	p = proc_find(s, pid, &pos);
	if (p)
		return p;
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	if (s->nprocs == s->procs_cap) {
		s->procs_cap = s->procs_cap ? s->procs_cap * 2 : 64;
		s->procs = xrealloc(s->procs, s->procs_cap * sizeof(*s->procs));
	}
	/* pids mostly grow, so this is usually an append */
	memmove(s->procs + pos + 1, s->procs + pos, (s->nprocs - pos) * sizeof(*s->procs));
	s->procs[pos] = p;
	s->nprocs++;
	s->stats.processes = s->nprocs;
	return p;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b && b[1] ? b + 1 : path;
}

/* Find the file behind a mapping: prefer the one whose inode matches the maps line. */
static struct sym_object *map_object(struct symbolizer *s, const struct snap_ctx *c,
				     const struct proc_map *m, unsigned long inode,
				     const char *path, bool deleted)
{
	char *cands[3], *pick = NULL, root[64];
	struct stat st, pick_st;
	struct sym_object *o = NULL;
	int n = 0, i;

	if (c->live) {
		if (!deleted)
			cands[n++] = xasprintf("/proc/%d/root%s", c->pid, path);
		cands[n++] = xasprintf("/proc/%d/map_files/%llx-%llx", c->pid,
				       (unsigned long long)m->start, (unsigned long long)m->end);
	} else if (c->root && !deleted && path[0] == '/') {
		cands[n++] = xasprintf("%s%s", c->root, path);
	}
	if (!deleted && path[0] == '/')
		cands[n++] = xstrdup(path);
	for (i = 0; i < n; i++) {
		if (stat(cands[i], &st) || !S_ISREG(st.st_mode))
			continue;
		if (!inode || st.st_ino == inode) {
			pick = cands[i];
			pick_st = st;
			break;
		}
		if (!pick) {
			pick = cands[i];
			pick_st = st;
		}
	}
	/* debug files next to a live binary are reached through its root too */
	if (c->live)
		snprintf(root, sizeof(root), "/proc/%d/root", c->pid);
	if (pick)
		o = object_for_file(s, pick, &pick_st, path, c->live ? root : c->root, m->module);
	for (i = 0; i < n; i++)
		free(cands[i]);
	return o;
}

static int map_cmp(const void *a, const void *b)
{
	const struct proc_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Whether [start, end) overlaps any of the sorted maps. */
static bool maps_overlap(const struct proc_map *maps, size_t n, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (maps[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && maps[lo - 1].end > start;
}

/* New mappings replace the old ones they overlap; old ones elsewhere stay. */
static void proc_merge(struct proc *p, struct proc_map *maps, size_t n)
{
	size_t i, k = n;

	qsort(maps, n, sizeof(*maps), map_cmp);
	maps = xrealloc(maps, (n + p->nmaps + 1) * sizeof(*maps));
	for (i = 0; i < p->nmaps; i++)
		if (!maps_overlap(maps, n, p->maps[i].start, p->maps[i].end))
			maps[k++] = p->maps[i];
	qsort(maps, k, sizeof(*maps), map_cmp);
	free(p->maps);
	p->maps = maps;
	p->nmaps = k;
}

static int parse_maps(struct symbolizer *s, const struct snap_ctx *c, const char *text,
		      struct proc_map **out, size_t *outn)
{
	struct proc_map *maps = NULL;
	size_t n = 0, cap = 0;
	const char *line = text;

	char *buf = xcalloc(1, PATH_MAX + 256);

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t linelen = eol ? (size_t)(eol - line) : strlen(line), plen;
		unsigned long long start, end, off;
		unsigned int major, minor;
		unsigned long inode;
		char perms[8], *path;
		int pos = 0;
		bool deleted = false;

		/* one line at a time: sscanf on the whole text would rescan it for every line */
		if (linelen >= PATH_MAX + 256)
			goto next;
		memcpy(buf, line, linelen);
		buf[linelen] = '\0';
		if (sscanf(buf, "%llx-%llx %7s %llx %x:%x %lu %n", &start, &end, perms, &off,
			   &major, &minor, &inode, &pos) < 7 || !strchr(perms, 'x') || end <= start)
			goto next;
		path = buf + pos;
		plen = strlen(path);
		while (plen && (path[plen - 1] == ' ' || path[plen - 1] == '\r'))
			path[--plen] = '\0';
		if (plen > strlen(DELETED_SUFFIX) &&
		    !strcmp(path + plen - strlen(DELETED_SUFFIX), DELETED_SUFFIX)) {
			path[plen - strlen(DELETED_SUFFIX)] = '\0';
			deleted = true;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			maps = xrealloc(maps, cap * sizeof(*maps));
		}
		memset(&maps[n], 0, sizeof(maps[n]));
		maps[n].start = start;
		maps[n].end = end;
		maps[n].offset = off;
		if (!path[0] || !strncmp(path, "[anon:", 6)) {
			maps[n].kind = PM_ANON;
		} else if (path[0] == '[') {
			maps[n].kind = PM_PSEUDO;
			maps[n].module = intern(s, path);
		} else {
			maps[n].kind = PM_FILE;
			maps[n].module = intern(s, base_name(path));
			maps[n].obj = map_object(s, c, &maps[n], inode, path, deleted);
		}
		n++;
next:
		line = eol ? eol + 1 : NULL;
	}
	free(buf);
	*out = maps;
	*outn = n;
	return 0;
}

/* A perf map: "START SIZE name" per line, hex; later lines win at one address. The file is
 * the traced program's (in /tmp, where anyone writes): only a regular file, not a symbolic
 * link, owned by owner (the process's uid; (uid_t)-1: anyone) is read, so that root never
 * reads some other file's lines into a user's stacks. */
static int read_perf_map(struct symbolizer *s, const char *path, uid_t owner,
			 struct sym_table *t)
{
	struct raw_sym *raw = NULL;
	size_t n = 0, cap = 0;
	char *text, *line, *eol;
	struct stat st;
	int err, fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (owner != (uid_t)-1 && st.st_uid != owner)) {
		close(fd);
		pr_debug("%s: not a regular file of uid %d: not read\n", path, (int)owner);
		return -EPERM;
	}
	err = read_fd(fd, &text, NULL);
	if (err)
		return err;
	for (line = text; line && *line; line = eol ? eol + 1 : NULL) {
		unsigned long long start, size;
		char *p, *e;

		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		start = strtoull(line, &p, 16);
		if (p == line || *p != ' ')
			continue;
		size = strtoull(p, &e, 16);
		if (e == p || !size || *e != ' ')
			continue;
		while (*e == ' ')
			e++;
		if (!*e)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			raw = xrealloc(raw, cap * sizeof(*raw));
		}
		raw[n] = (struct raw_sym){ .start = start, .size = size, .name = e, .rank = -(long)n };
		n++;
	}
	table_build(t, raw, n, s);
	free(raw);
	free(text);
	return 0;
}

static void proc_set_jit(struct symbolizer *s, struct proc *p, const char *path, uid_t owner)
{
	struct sym_table t;

	/* keep what an earlier snapshot read if the file is gone now */
	if (!path || read_perf_map(s, path, owner, &t))
		return;
	table_free(&p->jit);
	p->jit = t;
}

int symbolizer__snapshot_from(struct symbolizer *s, int pid, const char *maps_text,
			      const char *root, const char *perf_map_path)
{
	struct snap_ctx c = { .pid = pid, .root = root };
	struct proc_map *maps;
	struct proc *p;
	size_t n;
	int err;

	if (!s || !maps_text)
		return -EINVAL;
	err = parse_maps(s, &c, maps_text, &maps, &n);
	if (err)
		return err;
	p = proc_get(s, pid);
	proc_merge(p, maps, n);
	proc_set_jit(s, p, perf_map_path, (uid_t)-1);
	return 0;
}

/* The pid a process has in its own pid namespace (the one its perf map is named by). */
static int ns_pid(int pid)
{
	char path[64], *text, *l;
	int nspid = pid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_all(path, &text, NULL))
		return pid;
	l = strstr(text, "\nNSpid:");
	if (l) {
		char *p = l + 7, *e;
		long v;

		for (;;) {
			v = strtol(p, &e, 10);
			if (e == p)
				break;
			nspid = (int)v;
			p = e;
		}
	}
	free(text);
	return nspid;
}

int symbolizer__snapshot(struct symbolizer *s, int pid)
{
	struct snap_ctx c = { .pid = pid, .live = true };
	char path[64], *text, *jit;
	struct stat st;
	struct proc_map *maps;
	struct proc *p;
	size_t n;
	int err;

	if (!s || pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = read_all(path, &text, NULL);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	err = parse_maps(s, &c, text, &maps, &n);
	free(text);
	if (err)
		return err;
	p = proc_get(s, pid);
	proc_merge(p, maps, n);
	jit = xasprintf("/proc/%d/root/tmp/perf-%d.map", pid, ns_pid(pid));
	if (access(jit, R_OK)) {
		free(jit);
		jit = xasprintf("/tmp/perf-%d.map", pid);
	}
	/* the owner of the process (of its /proc directory) must own its perf map */
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) == 0)
		proc_set_jit(s, p, jit, st.st_uid);
	free(jit);
	return 0;
}

/* ---- lookups ------------------------------------------------------------ */

static const struct proc_map *proc_map_find(const struct proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < p->maps[lo - 1].end)
		return &p->maps[lo - 1];
	return NULL;
}

/* A symbol of o at file offset fo; 0 or -ENOENT. */
static int object_lookup(const struct symbolizer *s, const struct sym_object *o, uint64_t fo,
			 struct sym_result *out)
{
	const struct sym *sy;
	uint64_t vaddr;

	if (!o || !object_vaddr(o, fo, s->page_size, &vaddr))
		return -ENOENT;
	sy = table_find(&o->tab, vaddr);
	if (!sy)
		return -ENOENT;
	out->name = sy->name;
	out->offset = vaddr - sy->start;
	return 0;
}

int symbolizer__user(struct symbolizer *s, int pid, unsigned long long addr, struct sym_result *out)
{
	const struct proc_map *m;
	const struct sym *sy;
	struct proc *p;

	memset(out, 0, sizeof(*out));
	p = s ? proc_find(s, pid, NULL) : NULL;
	if (!p)
		return -ESRCH;
	m = proc_map_find(p, addr);
	if (m && m->kind == PM_FILE) {
		uint64_t fo = addr - m->start + m->offset;

		out->module = m->module;
		if (!object_lookup(s, m->obj, fo, out))
			return 0;
		out->offset = fo;
	} else if (m && m->kind == PM_PSEUDO) {
		out->module = m->module;
		out->offset = addr - m->start;
	}
	/* JIT code: anonymous memory, or anything the maps did not explain */
	sy = table_find(&p->jit, addr);
	if (sy) {
		out->name = sy->name;
		out->module = MOD_PERF_MAP;
		out->offset = addr - sy->start;
		return 0;
	}
	return -ENOENT;
}

int symbolizer__build_id(struct symbolizer *s, const unsigned char *build_id, int len,
			 unsigned long long file_offset, struct sym_result *out)
{
	unsigned char key[1 + BUILD_ID_MAX];
	char hex[2 * BUILD_ID_MAX + 1], *path;
	struct sym_object *o;
	struct stat st;
	int keylen, i;

	memset(out, 0, sizeof(*out));
	if (!s || !build_id || len <= 0 || len > BUILD_ID_MAX)
		return -EINVAL;
	keylen = key_build_id(key, build_id, len);
	if (!keylen)
		return -ENOENT;
	o = cache_get(s, key, keylen);
	if (!o) {
		for (i = 0; i < keylen - 1; i++)
			sprintf(hex + 2 * i, "%02x", key[1 + i]);
		/*
		 * Never seen in a snapshot: only a real binary under .build-id
		 * will do (a debug-only file's program headers do not give
		 * file offsets). Remember a miss so it costs one lookup.
		 */
		for (i = 0; i < s->ndebug_dirs && !o; i++) {
			path = xasprintf("%s/.build-id/%.2s/%s", s->debug_dirs[i], hex, hex + 2);
			if (!stat(path, &st) && S_ISREG(st.st_mode))
				o = object_for_file(s, path, &st, NULL, NULL, intern(s, hex));
			free(path);
		}
		if (!o) {
			o = object_add(s, intern(s, hex));
			o->missing = true;
			cache_put(s, key, keylen, o);
		}
	}
	out->module = o->name;
	if (!object_lookup(s, o, file_offset, out))
		return 0;
	out->offset = file_offset;
	return -ENOENT;
}

/* ---- kernel ------------------------------------------------------------- */

static int kallsyms_load(struct symbolizer *s)
{
	struct raw_sym *raw = NULL;
	size_t n = 0, cap = 0;
	char *text, *line, *eol;
	bool nonzero = false;
	int err;

	err = read_all(s->kallsyms_path ? s->kallsyms_path : DEFAULT_KALLSYMS, &text, NULL);
	if (err) {
		pr_warn("cannot read kernel symbols: %s\n", strerror(-err));
		return err;
	}
	for (line = text; line && *line; line = eol ? eol + 1 : NULL) {
		unsigned long long addr;
		char *p, *name, *tab;
		char type;

		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		addr = strtoull(line, &p, 16);
		if (p == line || p[0] != ' ' || !p[1] || p[2] != ' ')
			continue;
		type = p[1];
		name = p + 3;
		if (addr)
			nonzero = true;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		tab = strchr(name, '\t');
		if (tab)
			*tab = ' ';         /* "sym\t[mod]" -> "sym [mod]" */
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			raw = xrealloc(raw, cap * sizeof(*raw));
		}
		raw[n].start = addr;
		raw[n].size = 0;
		raw[n].bound = 0;
		raw[n].name = name;
		raw[n].rank = (type == 'T' ? 0 : type == 'W' ? 2 : 4) + (name[0] == '_') +
			      (strncmp(name, "__pfx_", 6) ? 0 : 8);
		n++;
	}
	if (!nonzero) {
		pr_warn("kernel addresses are hidden (kptr_restrict): kernel frames stay unresolved\n");
		err = -EACCES;
	} else {
		table_build(&s->ksyms, raw, n, NULL);
	}
	free(raw);
	free(text);
	return err;
}

int symbolizer__kernel(struct symbolizer *s, unsigned long long addr, struct sym_result *out)
{
	const struct sym *sy;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	if (!s->kstate) {
		int err = kallsyms_load(s);

		s->kstate = err ? err : 1;
	}
	out->module = MOD_KERNEL;
	out->offset = addr;
	if (s->kstate < 0)
		return s->kstate;
	sy = table_find(&s->ksyms, addr);
	if (!sy)
		return -ENOENT;
	out->name = sy->name;
	out->offset = addr - sy->start;
	return 0;
}

/* ---- the object --------------------------------------------------------- */

static void debug_dirs_clear(struct symbolizer *s)
{
	int i;

	for (i = 0; i < s->ndebug_dirs; i++)
		free(s->debug_dirs[i]);
	free(s->debug_dirs);
	s->debug_dirs = NULL;
	s->ndebug_dirs = 0;
}

int symbolizer__set_debug_dirs(struct symbolizer *s, const char *dirs)
{
	char *copy, *tok, *save = NULL;

	if (!s)
		return -EINVAL;
	debug_dirs_clear(s);
	copy = xstrdup(dirs ? dirs : DEFAULT_DEBUG_DIRS);
	for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		size_t l = strlen(tok);

		while (l > 1 && tok[l - 1] == '/')
			tok[--l] = '\0';
		s->debug_dirs = xrealloc(s->debug_dirs, (s->ndebug_dirs + 1) * sizeof(char *));
		s->debug_dirs[s->ndebug_dirs++] = xstrdup(tok);
	}
	free(copy);
	return 0;
}

int symbolizer__set_kallsyms(struct symbolizer *s, const char *path)
{
	if (!s)
		return -EINVAL;
	free(s->kallsyms_path);
	s->kallsyms_path = path ? xstrdup(path) : NULL;
	table_free(&s->ksyms);
	s->kstate = 0;
	return 0;
}

struct symbolizer *symbolizer__new(void)
{
	struct symbolizer *s;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		pr_warn("libelf: %s\n", elf_errmsg(-1));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->page_size = sysconf(_SC_PAGESIZE) > 0 ? (uint64_t)sysconf(_SC_PAGESIZE) : 4096;
	symbolizer__set_debug_dirs(s, NULL);
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nprocs; i++) {
		free(s->procs[i]->maps);
		table_free(&s->procs[i]->jit);
		free(s->procs[i]);
	}
	free(s->procs);
	for (i = 0; i < s->nobjs; i++) {
		table_free(&s->objs[i]->tab);
		free(s->objs[i]->segs);
		free(s->objs[i]);
	}
	free(s->objs);
	for (i = 0; i < OBJ_BUCKETS; i++) {
		struct obj_entry *e = s->obj_buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	for (i = 0; i < s->nstr_buckets; i++) {
		struct str_entry *e = s->strs[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(s->strs);
	table_free(&s->ksyms);
	debug_dirs_clear(s);
	free(s->kallsyms_path);
	free(s);
}

void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (s)
		*st = s->stats;
}

const char *sym_format(const struct sym_result *r, char *buf, size_t len)
{
	if (!buf || !len)
		return "";
	if (r && r->name)
		snprintf(buf, len, "%s", r->name);
	else if (r && r->module)
		snprintf(buf, len, "%s+0x%llx", r->module, r->offset);
	else
		snprintf(buf, len, "[unknown]");
	return buf;
}
