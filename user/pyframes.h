/* Python frames of a stack: line numbers from a code object's line table, and the frame
 * names shown in every output. */
#ifndef CT_PYFRAMES_H
#define CT_PYFRAMES_H
#include <stddef.h>
#include <stdint.h>
#include "conctrace/sched.h"

/* Line of the instruction at code-unit index `index` of a code object of CPython 3.<minor>
 * (3.10's table of (bytes, line delta) pairs; 3.11+'s location table), or -1 when the table
 * gives none. index -1 (a frame that has not started) is the first line. */
int py_line_at(int minor, const uint8_t *table, size_t len, int firstlineno, int index);

/* A code object's name or file as UTF-8 into out (see struct ct_py_code); returns its length. */
size_t py_str_utf8(const char *raw, size_t size, unsigned kind, unsigned units, char *out,
		   size_t outlen);

/* "qualname (file.py:line)" into buf; the file is its base name. Returns buf. */
const char *py_frame_name(int minor, const struct ct_py_code *c, int index, char *buf,
			  size_t len);

#endif
