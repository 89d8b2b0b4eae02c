/* Decoding CPython line tables. 3.10 (Objects/lnotab_notes.txt): pairs of an unsigned byte
 * count and a signed line delta, -128 meaning "no line". 3.11 to 3.13 (InternalDocs
 * locations.md; unchanged in 3.14): entries whose first byte has bit 7 set, code in bits 3-6 and the number of
 * code units minus one in bits 0-2, followed by varint operands. */
#include <stdio.h>
#include <string.h>
#include "pyframes.h"
#include "util.h"

static int line_310(const uint8_t *t, size_t len, int first, int index)
{
	long addr = (long)index * 2, end = 0;
	int line = first;

	if (index < 0)
		return first;
	for (size_t i = 0; i + 1 < len; i += 2) {
		int ldelta = (int8_t)t[i + 1], range_line;

		end += t[i];
		if (ldelta == -128) {
			range_line = -1;
		} else {
			line += ldelta;
			range_line = line;
		}
		if (addr < end)
			return range_line;
	}
	return -1;
}

/* 6-bit chunks, least significant first; bit 6 says another chunk follows. *cut is set
 * when the table ends inside the number (a table cut short). */
static unsigned read_varint(const uint8_t *t, size_t len, size_t *i, int *cut)
{
	unsigned v = 0, shift = 0;

	for (;;) {
		if (*i >= len) {
			*cut = 1;
			break;
		}
		uint8_t b = t[(*i)++];

		v |= (unsigned)(b & 63) << shift;
		shift += 6;
		if (!(b & 64) || shift > 30)
			break;
	}
	return v;
}

static int read_svarint(const uint8_t *t, size_t len, size_t *i, int *cut)
{
	unsigned u = read_varint(t, len, i, cut);

	return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
}

static int line_311(const uint8_t *t, size_t len, int first, int index)
{
	long unit = 0;
	int line = first;
	size_t i = 0;

	if (index < 0)
		return first;
	while (i < len) {
		uint8_t b = t[i++];
		int code = (b >> 3) & 15, n = (b & 7) + 1, delta = 0, has_line = 1, cut = 0, rest = 0;

		if (!(b & 128))
			return -1;   /* not at an entry's first byte: a corrupt or cut table */
		if (code == 15) {
			has_line = 0;                      /* no location */
		} else if (code == 14) {               /* long form */
			delta = read_svarint(t, len, &i, &cut);
			read_varint(t, len, &i, &rest);    /* end line delta */
			read_varint(t, len, &i, &rest);    /* column + 1 */
			read_varint(t, len, &i, &rest);    /* end column + 1 */
		} else if (code == 13) {               /* no column */
			delta = read_svarint(t, len, &i, &cut);
		} else if (code >= 10) {               /* one line: delta in the code */
			delta = code - 10;
			i += 2;                            /* column, end column */
		} else {
			i += 1;                            /* short form: same line, columns */
		}
		if (cut)
			return -1;   /* the line delta itself is cut off: no line rather than a wrong one */
		line += delta;
		if (index < unit + n)
			return has_line ? line : -1;
		unit += n;
	}
	return -1;
}

int py_line_at(int minor, const uint8_t *table, size_t len, int firstlineno, int index)
{
	if (!table)
		return -1;
	if (minor <= 10)
		return line_310(table, len, firstlineno, index);
	return line_311(table, len, firstlineno, index);
}

/* A code object's string as UTF-8: ASCII as copied, or `units` characters of `kind` bytes
 * each (latin-1, UCS-2, UCS-4, little-endian). Lone surrogates (file names decoded with
 * surrogateescape) and out-of-range values become U+FFFD. */
size_t py_str_utf8(const char *raw, size_t size, unsigned kind, unsigned units, char *out,
		   size_t outlen)
{
	const uint8_t *r = (const uint8_t *)raw;
	size_t o = 0;

	if (!outlen)
		return 0;
	if (kind == 0) {
		while (o < size && raw[o] && o + 1 < outlen) {
			out[o] = raw[o];
			o++;
		}
		out[o] = '\0';
		return o;
	}
	if (kind != 1 && kind != 2 && kind != 4)
		units = 0;
	if ((size_t)units * kind > size)
		units = (unsigned)(size / kind);
	for (unsigned i = 0; i < units; i++) {
		const uint8_t *p = r + (size_t)i * kind;
		uint32_t c = p[0];
		char b[4];
		size_t n;

		if (kind >= 2)
			c |= (uint32_t)p[1] << 8;
		if (kind == 4)
			c |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			c = 0xfffd;
		n = utf8_encode(c, b);
		if (o + n >= outlen)
			break;
		memcpy(out + o, b, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

const char *py_frame_name(int minor, const struct ct_py_code *c, int index, char *buf,
			  size_t len)
{
	char name[4 * CT_PY_NAME + 1], file[4 * CT_PY_FILE + 1];
	const char *base;
	int line;

	py_str_utf8(c->name, CT_PY_NAME, c->name_kind, c->name_units, name, sizeof(name));
	py_str_utf8(c->file, CT_PY_FILE, c->file_kind, c->file_units, file, sizeof(file));
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	if (index == CT_PY_INDEX_TASK) {
		/* the running asyncio task: its name, or Task-N while it has only its number */
		if (c->flags & CT_PYC_TASK_NUM)
			snprintf(buf, len, "task Task-%d", c->firstlineno);
		else
			snprintf(buf, len, "task %s", (c->flags & CT_PYC_NAME_BAD) || !name[0] ?
				 "?" : name);
		return buf;
	}
	if (index == CT_PY_INDEX_UNKNOWN) {
		/* no line rather than a wrong one */
		snprintf(buf, len, "%s (%s)", (c->flags & CT_PYC_NAME_BAD) || !name[0] ? "?" : name,
			 (c->flags & CT_PYC_FILE_BAD) || !base[0] ? "?" : base);
		return buf;
	}
	line = py_line_at(minor, c->linetable, c->linetable_len > CT_PY_LINETABLE ?
			  CT_PY_LINETABLE : c->linetable_len, c->firstlineno, index);
	if (line < 0)
		line = c->firstlineno;
	snprintf(buf, len, "%s (%s:%d)", (c->flags & CT_PYC_NAME_BAD) || !name[0] ? "?" : name,
		 (c->flags & CT_PYC_FILE_BAD) || !base[0] ? "?" : base, line);
	return buf;
}
