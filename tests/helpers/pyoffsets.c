/* Test helper for tests/integration/test_pyoffsets.py: prints, as JSON, what conctrace's
 * CPython support computes, for the test to compare with gdb and with the interpreters.
 *   pyoffsets table        the per-version offset tables (3.10-3.13)
 *   pyoffsets elf FILE     what is read from an ELF file: Py_Version, _Py_DebugOffsets
 *   pyoffsets detect PID   pyinfo_detect() on a running process
 *   pyoffsets lines        stdin: [{"name", "minor", "firstlineno", "linetable" (hex),
 *                          "lines": [line or null per code unit]}]; prints the mismatches
 *                          of py_line_at() ("cut": true: only wrong lines, not -1)
 * Linked with libconctrace.a (see the Makefile). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pyinfo.h"
#include "pyframes.h"

static json_t *walk_json(const struct ct_py_proc *w)
{
	json_t *o = json_object();

#define F(f) json_object_set_new(o, #f, json_integer(w->f))
	F(interp_tstate_head); F(tstate_next); F(tstate_id); F(id_is_pthread); F(tstate_frame);
	F(cframe_frame); F(frame_code); F(frame_back); F(frame_instr); F(frame_owner);
	F(owner_skip); F(code_filename); F(code_name); F(code_firstlineno); F(code_linetable);
	F(code_adaptive); F(str_ascii); F(str_compact); F(gil_holder); F(gil_locked); F(gil_switch_number);
	F(ob_type); F(bytes_size); F(bytes_sval); F(str_state); F(str_length); F(frame_tlbc);
	F(exec_tag_mask);
#undef F
	return o;
}

static int cmd_table(void)
{
	json_t *all = json_object();

	for (int minor = 0; minor < 40; minor++) {
		struct ct_py_proc w;
		char key[8];

		if (pyinfo_walk_offsets(3, minor, &w) != 0)
			continue;
		json_t *o = walk_json(&w);

		json_object_set_new(o, "interp_head", json_integer(pyinfo_interp_head_offset(3, minor)));
		json_object_set_new(o, "gil", json_integer(pyinfo_gil_offset(3, minor)));
		json_object_set_new(o, "main_interp", json_integer(pyinfo_main_interp_offset(3, minor)));
		json_object_set_new(o, "gil_cond", json_integer(PYINFO_GIL_COND));
		json_object_set_new(o, "gil_mutex", json_integer(PYINFO_GIL_MUTEX));
		json_object_set_new(o, "gil_switch_cond", json_integer(PYINFO_GIL_SWITCH_COND));
		json_object_set_new(o, "gil_switch_mutex", json_integer(PYINFO_GIL_SWITCH_MUTEX));
		json_object_set_new(o, "gil_size", json_integer(PYINFO_GIL_SIZE));
		snprintf(key, sizeof(key), "%d", minor);
		json_object_set_new(all, key, o);
	}
	json_dumpf(all, stdout, JSON_SORT_KEYS);
	putchar('\n');
	json_decref(all);
	return 0;
}

static int cmd_elf(const char *path)
{
	struct pyinfo_elf *el = malloc(sizeof(*el));
	struct pyinfo_debug d;
	json_t *o = json_object();
	int rc, major, minor;

	rc = pyinfo_elf_read(path, el);
	json_object_set_new(o, "rc", json_integer(rc));
	json_object_set_new(o, "runtime", json_integer(el->runtime));
	json_object_set_new(o, "code_type", json_integer(el->code_type));
	json_object_set_new(o, "py_version", json_integer(el->py_version));
	json_object_set_new(o, "needs_libpython", json_integer(el->needs_libpython));
	json_object_set_new(o, "runtime_len", json_integer(el->runtime_len));
	if (pyinfo_version_from_hex(el->py_version, &major, &minor) == 0)
		json_object_set_new(o, "version", json_sprintf("%d.%d", major, minor));
	rc = pyinfo_parse_debug(el->runtime_head, el->runtime_len, &d);
	json_object_set_new(o, "debug_rc", json_integer(rc));
	if (rc == 0) {
		json_t *dj = json_object();
		struct ct_py_proc w;
		uint64_t gil_in_interp = 0;

#define F(f) json_object_set_new(dj, #f, json_integer(d.f))
		F(version); F(free_threaded); F(runtime_interp_head); F(interp_threads_head);
		F(interp_gil); F(interp_gil_locked); F(interp_gil_holder); F(tstate_next);
		F(tstate_current_frame); F(tstate_native_thread_id); F(frame_previous);
		F(frame_executable); F(frame_instr_ptr); F(frame_owner); F(code_filename);
		F(code_qualname); F(code_linetable); F(code_firstlineno); F(code_adaptive);
		F(ob_type); F(bytes_ob_size); F(bytes_ob_sval); F(str_state); F(str_length);
		F(str_ascii); F(minor); F(len); F(runtime_size); F(interp_size); F(interp_ceval_gil);
		F(tstate_size); F(frame_size); F(code_size); F(pyobject_size); F(bytes_size);
		F(str_size); F(frame_tlbc_index); F(gen_size); F(gen_iframe);
#undef F
		json_object_set_new(o, "debug", dj);
		char why[128];

		rc = pyinfo_walk_from_debug(&d, &w, &gil_in_interp, why, sizeof(why));
		json_object_set_new(o, "walk_rc", json_integer(rc));
		json_object_set_new(o, "walk_why", json_string(why));
		if (rc == 0) {
			json_object_set_new(o, "walk", walk_json(&w));
			json_object_set_new(o, "gil_in_interp", json_integer(gil_in_interp));
		}
	}
	json_dumpf(o, stdout, JSON_SORT_KEYS);
	putchar('\n');
	json_decref(o);
	free(el);
	return 0;
}

static int cmd_detect(pid_t pid)
{
	struct pyinfo pi;
	int rc = pyinfo_detect(pid, &pi);
	json_t *o = json_object();

	json_object_set_new(o, "rc", json_integer(rc));
	json_object_set_new(o, "version", json_string(pi.version));
	json_object_set_new(o, "object", json_string(pi.object));
	json_object_set_new(o, "runtime", json_integer(pi.runtime));
	json_object_set_new(o, "gil", json_integer(pi.gil));
	json_object_set_new(o, "frames", json_integer(pi.frames));
	json_object_set_new(o, "from_debug", json_integer(pi.from_debug));
	json_object_set_new(o, "free_threaded", json_integer(pi.free_threaded));
	json_object_set_new(o, "gil_pending", json_integer(pi.gil_pending));
	json_object_set_new(o, "note", json_string(pi.note));
	json_object_set_new(o, "interp_head", json_integer(pi.walk.interp_head));
	json_object_set_new(o, "walk", walk_json(&pi.walk));
	json_dumpf(o, stdout, JSON_SORT_KEYS);
	putchar('\n');
	json_decref(o);
	return 0;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int cmd_lines(void)
{
	json_error_t jerr;
	json_t *in = json_loadf(stdin, 0, &jerr), *out = json_array(), *t;
	size_t i;

	if (!json_is_array(in)) {
		fprintf(stderr, "pyoffsets lines: %s\n", jerr.text);
		return 2;
	}
	json_array_foreach(in, i, t) {
		const char *hex = json_string_value(json_object_get(t, "linetable"));
		int minor = json_integer_value(json_object_get(t, "minor"));
		int first = json_integer_value(json_object_get(t, "firstlineno"));
		/* a cut table may give no line (-1), never a wrong one */
		int cut = json_is_true(json_object_get(t, "cut"));
		json_t *lines = json_object_get(t, "lines"), *exp, *bad = json_array();
		size_t len = strlen(hex) / 2, k, nbad = 0;
		uint8_t *tab = malloc(len + 1);

		for (k = 0; k < len; k++)
			tab[k] = hexval(hex[2 * k]) << 4 | hexval(hex[2 * k + 1]);
		json_array_foreach(lines, k, exp) {
			int want = json_is_null(exp) ? -1 : (int)json_integer_value(exp);
			int got = py_line_at(minor, tab, len, first, (int)k);

			if (got != want && !(cut && got == -1) && nbad++ < 10)
				json_array_append_new(bad, json_pack("[iii]", (int)k, want, got));
		}
		json_array_append_new(out, json_pack("{s:O,s:i,s:i,s:o}", "name",
						     json_object_get(t, "name"), "checked",
						     (int)json_array_size(lines), "mismatches",
						     (int)nbad, "first", bad));
		free(tab);
	}
	json_dumpf(out, stdout, 0);
	putchar('\n');
	json_decref(out);
	json_decref(in);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "table") == 0)
		return cmd_table();
	if (argc >= 3 && strcmp(argv[1], "elf") == 0)
		return cmd_elf(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "detect") == 0)
		return cmd_detect(atoi(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "lines") == 0)
		return cmd_lines();
	fprintf(stderr, "usage: pyoffsets table | elf FILE | detect PID | lines < JSON\n");
	return 2;
}
