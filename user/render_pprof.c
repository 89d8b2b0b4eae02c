/* profile.pb.gz: a case's stacks.json as a gzip-compressed pprof profile (proto/profile.proto),
 * on-CPU samples and off-CPU time side by side, for pprof, Pyroscope and Parca. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "proto/profile.pb-c.h"
#include "log.h"
#include "render.h"
#include "results.h"
#include "stacks.h"
#include "util.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

enum { V_SAMPLES, V_CPU, V_OFFCPU, NVALUES };
#define MAX_LABELS 7      /* reason, model, workload, process, thread, pid, tid */
#define DEFAULT_HZ 99

/* The string table: index 0 is "", equal strings share one index (the index is a jansson
 * object used as a hash map from string to position). */
struct strtab {
	json_t *index;
	char **s;
	size_t n, cap;
};

/* Everything the Profile message points to, allocated in arrays and freed at once. */
struct builder {
	struct strtab st;
	size_t nframes;
	uint64_t *loc_of_frame;       /* frame id -> location id, 0: not used yet */
	Location *locs;
	Location **loc_ptrs;
	Line *lines;
	Line **line_ptrs;
	Function *funcs;
	Function **func_ptrs;
	size_t nlocs;
	Sample *samples;
	Sample **sample_ptrs;
	size_t nsamples;
	uint64_t *loc_ids;            /* every sample's location ids, back to back */
	int64_t *values;              /* NVALUES per sample */
	Label *labels;                /* MAX_LABELS per sample */
	Label **label_ptrs;
};

static int64_t str_id(struct strtab *t, const char *s)
{
	json_t *v = json_object_get(t->index, s);

	if (v)
		return json_integer_value(v);
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->s = xrealloc(t->s, t->cap * sizeof(*t->s));
	}
	t->s[t->n] = xstrdup(s);
	json_object_set_new_nocheck(t->index, s, json_integer(t->n));
	return t->n++;
}

static int64_t str_idf(struct strtab *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int64_t str_idf(struct strtab *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int64_t id;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	id = str_id(t, s ? s : "");
	free(s);
	return id;
}

static void builder_init(struct builder *b, size_t nframes, size_t nsamples, size_t nloc_ids)
{
	memset(b, 0, sizeof(*b));
	b->st.index = json_object();
	str_id(&b->st, "");
	b->nframes = nframes;
	b->loc_of_frame = xcalloc(nframes, sizeof(*b->loc_of_frame));
	b->locs = xcalloc(nframes, sizeof(*b->locs));
	b->loc_ptrs = xcalloc(nframes, sizeof(*b->loc_ptrs));
	b->lines = xcalloc(nframes, sizeof(*b->lines));
	b->line_ptrs = xcalloc(nframes, sizeof(*b->line_ptrs));
	b->funcs = xcalloc(nframes, sizeof(*b->funcs));
	b->func_ptrs = xcalloc(nframes, sizeof(*b->func_ptrs));
	b->samples = xcalloc(nsamples, sizeof(*b->samples));
	b->sample_ptrs = xcalloc(nsamples, sizeof(*b->sample_ptrs));
	b->loc_ids = xcalloc(nloc_ids, sizeof(*b->loc_ids));
	b->values = xcalloc(nsamples * NVALUES, sizeof(*b->values));
	b->labels = xcalloc(nsamples * MAX_LABELS, sizeof(*b->labels));
	b->label_ptrs = xcalloc(nsamples * MAX_LABELS, sizeof(*b->label_ptrs));
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->st.n; i++)
		free(b->st.s[i]);
	free(b->st.s);
	json_decref(b->st.index);
	free(b->loc_of_frame);
	free(b->locs);
	free(b->loc_ptrs);
	free(b->lines);
	free(b->line_ptrs);
	free(b->funcs);
	free(b->func_ptrs);
	free(b->samples);
	free(b->sample_ptrs);
	free(b->loc_ids);
	free(b->values);
	free(b->labels);
	free(b->label_ptrs);
}

/* A Python frame's name, "qualname (file.py:line)": its parts (file ends in .py or is a
 * <pseudo-file>, as in "<frozen importlib._bootstrap>"). */
static bool python_frame(const char *name, char *func, size_t flen, char *file, size_t filelen,
			 long *line)
{
	const char *open, *colon, *end = name + strlen(name);
	char *stop;

	if (end - name < 6 || end[-1] != ')')
		return false;
	colon = end - 1;
	while (colon > name && *colon != ':')
		colon--;
	for (open = colon; open > name && !(open[0] == '(' && open[-1] == ' '); open--)
		;
	if (open <= name || *colon != ':')
		return false;
	long ln = strtol(colon + 1, &stop, 10);

	if (stop != end - 1 || stop == colon + 1)
		return false;
	size_t fl = colon - open - 1, nl = open - 1 - name;
	const char *f = open + 1;
	bool py = (fl > 3 && !memcmp(f + fl - 3, ".py", 3)) || (fl > 2 && f[0] == '<' && f[fl - 1] == '>');

	if (!py || fl >= filelen || nl >= flen || !nl)
		return false;
	memcpy(file, f, fl);
	file[fl] = '\0';
	memcpy(func, name, nl);
	func[nl] = '\0';
	*line = ln;
	return true;
}

/* The location of a frame, made (with its function) the first time the frame is used.
 * A Python frame gets its function name, file name and line as pprof means them. */
static uint64_t frame_location(struct builder *b, json_t *frames, size_t f)
{
	size_t k = b->nlocs;
	const char *name;
	char func[256], file[256];
	long line = 0;

	if (b->loc_of_frame[f])
		return b->loc_of_frame[f];
	name = json_string_value(json_array_get(frames, f));
	perftools__profiles__function__init(&b->funcs[k]);
	b->funcs[k].id = k + 1;
	if (name && python_frame(name, func, sizeof(func), file, sizeof(file), &line)) {
		b->funcs[k].name = str_id(&b->st, func);
		b->funcs[k].filename = str_id(&b->st, file);
	} else {
		b->funcs[k].name = str_id(&b->st, name ? name : "[unknown]");
	}
	b->funcs[k].system_name = b->funcs[k].name;
	b->func_ptrs[k] = &b->funcs[k];
	perftools__profiles__line__init(&b->lines[k]);
	b->lines[k].function_id = k + 1;
	b->lines[k].line = line;
	b->line_ptrs[k] = &b->lines[k];
	perftools__profiles__location__init(&b->locs[k]);
	b->locs[k].id = k + 1;
	b->locs[k].mapping_id = 1;
	b->locs[k].n_line = 1;
	b->locs[k].line = &b->line_ptrs[k];
	b->loc_ptrs[k] = &b->locs[k];
	b->nlocs++;
	return b->loc_of_frame[f] = k + 1;
}

static Label *label_add(Sample *s, struct builder *b, const char *key)
{
	Label *l = s->label[s->n_label++];

	perftools__profiles__label__init(l);
	l->key = str_id(&b->st, key);
	return l;
}

static const char *process_comm(json_t *c, json_int_t pid)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(c, "processes"), i, p)
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return jget_str(p, "comm");
	return NULL;
}

/* One stacks.json entry as a Sample: locations leaf first, the three values, the labels. */
static void add_sample(struct builder *b, json_t *c, json_t *frames, json_t *e, uint64_t *loc_ids,
		       long hz)
{
	Sample *s = &b->samples[b->nsamples];
	int64_t *v = &b->values[b->nsamples * NVALUES];
	json_t *stack = json_object_get(e, "stack");
	const char *reason = jget_str(e, "reason"), *comm = jget_str(e, "comm");
	const char *model = jget_str(c, "model"), *workload = jget_str(c, "workload");
	const char *pcomm;
	json_int_t pid = json_integer_value(json_object_get(e, "pid"));
	json_int_t tid = json_integer_value(json_object_get(e, "tid"));
	int64_t count = json_integer_value(json_object_get(e, "count"));
	size_t n = json_array_size(stack), nloc = 0;

	perftools__profiles__sample__init(s);
	for (size_t i = n; i-- > 0;) {
		json_t *id = json_array_get(stack, i);

		if (!json_is_integer(id) || json_integer_value(id) < 0 ||
		    (size_t)json_integer_value(id) >= b->nframes)
			continue;
		loc_ids[nloc++] = frame_location(b, frames, json_integer_value(id));
	}
	s->n_location_id = nloc;
	s->location_id = loc_ids;

	reason = reason ? reason : "other";
	if (strcmp(reason, "oncpu") == 0) {
		/* in 128 bits: a count times 10^9 passes int64 from 9.2 * 10^9 samples */
		__int128 cpu = (__int128)count * 1000000000 / hz;

		v[V_SAMPLES] = count;
		v[V_CPU] = cpu > INT64_MAX ? INT64_MAX : cpu < 0 ? 0 : (int64_t)cpu;
	} else {
		v[V_OFFCPU] = json_integer_value(json_object_get(e, "ns"));
	}
	s->n_value = NVALUES;
	s->value = v;

	s->label = &b->label_ptrs[b->nsamples * MAX_LABELS];
	for (int i = 0; i < MAX_LABELS; i++)
		s->label[i] = &b->labels[b->nsamples * MAX_LABELS + i];
	comm = comm ? comm : "?";
	pcomm = process_comm(c, pid);
	label_add(s, b, "reason")->str = str_id(&b->st, reason);
	if (model)
		label_add(s, b, "model")->str = str_id(&b->st, model);
	if (workload)
		label_add(s, b, "workload")->str = str_id(&b->st, workload);
	label_add(s, b, "process")->str = str_idf(&b->st, "%s %lld", pcomm ? pcomm : comm,
						  (long long)pid);
	label_add(s, b, "thread")->str = str_idf(&b->st, "%s %lld", comm, (long long)tid);
	label_add(s, b, "pid")->num = pid;
	label_add(s, b, "tid")->num = tid;
	b->sample_ptrs[b->nsamples++] = s;
}

/* Wall-clock start of the case: the run's start (to the second) plus how long after the first
 * case this one began. 0 when the run has no start time. */
static int64_t case_realtime_ns(json_t *run, json_t *c)
{
	const char *started = jget_str(run, "started");
	json_t *first = json_array_get(json_object_get(run, "cases"), 0);
	uint64_t c0 = jget_u64(first, "start_mono_ns"), cs = jget_u64(c, "start_mono_ns");
	struct tm tm = {};
	const char *end;
	int64_t t;

	if (!started)
		return 0;
	end = strptime(started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return 0;
	/* a year of 2263 or later in a (corrupt) run passes int64 nanoseconds: no time then */
	time_t secs = timegm(&tm);

	if (secs < 0 || secs > INT64_MAX / 1000000000LL)
		return 0;
	t = (int64_t)secs * 1000000000LL;
	if (c0 && cs > c0 && cs - c0 <= (uint64_t)(INT64_MAX - t))
		t += cs - c0;
	return t;
}

/* Deflate buf into out with gzip framing. */
static int write_gzip(const uint8_t *buf, size_t len, FILE *out)
{
	uint8_t chunk[16384];
	z_stream z = {};
	int zr;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = (uint8_t *)buf;
	z.avail_in = len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_ERROR)
			break;
		if (fwrite(chunk, 1, sizeof(chunk) - z.avail_out, out) != sizeof(chunk) - z.avail_out)
			zr = Z_ERRNO;
	} while (zr == Z_OK || zr == Z_BUF_ERROR);
	deflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -EIO;
}

int render_pprof_case(json_t *run, json_t *c, const char *case_dir, FILE *out,
		      const struct render_opts *o)
{
	json_t *stacks = NULL, *frames, *entries, *e, *cmd, *arg;
	long hz;
	ValueType types[NVALUES], period_type;
	ValueType *type_ptrs[NVALUES];
	Mapping mapping, *mapping_ptr = &mapping;
	int64_t comments[2];
	Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	static const char *const type_names[NVALUES][2] = {
		{"samples", "count"}, {"cpu", "nanoseconds"}, {"off_cpu", "nanoseconds"},
	};
	struct builder b;
	size_t i, nloc_ids = 0, used = 0, len;
	char *cmdline = NULL;
	uint8_t *buf;
	char msg[512];
	int err;

	/* stacks.json first: a corrupt one is an error before anything is written */
	if (case_dir && (err = stacks_load(case_dir, &stacks, msg, sizeof(msg)))) {
		pr_warn("%s\n", msg);
		return err;
	}
	frames = json_object_get(stacks, "frames");
	entries = json_object_get(stacks, "samples");
	hz = json_integer_value(json_object_get(stacks, "sample_hz"));
	if (!json_is_array(frames))
		frames = NULL;
	if (!json_is_array(entries))
		entries = NULL;
	if (hz <= 0)
		hz = DEFAULT_HZ;
	json_array_foreach(entries, i, e)
		nloc_ids += json_array_size(json_object_get(e, "stack"));
	builder_init(&b, json_array_size(frames), json_array_size(entries), nloc_ids);

	for (int k = 0; k < NVALUES; k++) {
		perftools__profiles__value_type__init(&types[k]);
		types[k].type = str_id(&b.st, type_names[k][0]);
		types[k].unit = str_id(&b.st, type_names[k][1]);
		type_ptrs[k] = &types[k];
	}
	p.n_sample_type = NVALUES;
	p.sample_type = type_ptrs;
	perftools__profiles__value_type__init(&period_type);
	period_type.type = types[V_CPU].type;
	period_type.unit = types[V_CPU].unit;
	p.period_type = &period_type;
	p.period = 1000000000LL / hz;
	p.default_sample_type = types[V_CPU].type;
	p.duration_nanos = jget_u64(c, "wall_ns");
	p.time_nanos = case_realtime_ns(run, c);

	/* The frames are already symbolised: one mapping that says so, so that no reader tries to
	 * symbolise the (absent) addresses again. */
	perftools__profiles__mapping__init(&mapping);
	mapping.id = 1;
	cmd = json_object_get(c, "command");
	arg = json_array_get(cmd, 0);
	mapping.filename = str_id(&b.st, json_is_string(arg) ? json_string_value(arg) :
				  jget_str(run, "name") ? jget_str(run, "name") : "");
	mapping.has_functions = true;
	p.n_mapping = 1;
	p.mapping = &mapping_ptr;

	comments[p.n_comment++] = str_idf(&b.st, "conctrace %s", CONCTRACE_VERSION);
	json_array_foreach(cmd, i, arg) {
		char *s = xasprintf("%s%s%s", cmdline ? cmdline : "", cmdline ? " " : "",
				    json_string_value(arg) ? json_string_value(arg) : "");

		free(cmdline);
		cmdline = s;
	}
	if (cmdline)
		comments[p.n_comment++] = str_idf(&b.st, "command: %s", cmdline);
	free(cmdline);
	p.comment = comments;

	json_array_foreach(entries, i, e) {
		if (!json_is_object(e))
			continue;
		add_sample(&b, c, frames, e, &b.loc_ids[used], hz);
		used += b.samples[b.nsamples - 1].n_location_id;
	}
	p.n_sample = b.nsamples;
	p.sample = b.sample_ptrs;
	p.n_location = b.nlocs;
	p.location = b.loc_ptrs;
	p.n_function = b.nlocs;
	p.function = b.func_ptrs;
	p.n_string_table = b.st.n;
	p.string_table = b.st.s;

	len = perftools__profiles__profile__get_packed_size(&p);
	buf = xcalloc(len, 1);
	perftools__profiles__profile__pack(&p, buf);
	err = write_gzip(buf, len, out);
	if (!err && ferror(out))
		err = -EIO;
	free(buf);
	builder_free(&b);
	json_decref(stacks);
	return err;
}
