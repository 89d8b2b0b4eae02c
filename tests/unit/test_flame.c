/* Unit tests of the stack-profile model: folded input and output, layout, SVG output.
 * Golden files live in tests/fixtures/flame; FLAME_UPDATE_GOLDEN=1 rewrites them. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "flame.h"

#ifdef SRCDIR
#define FIXTURES SRCDIR "/tests/fixtures/flame"
#else
#define FIXTURES "tests/fixtures/flame"
#endif

/* ---- helpers ---- */

struct buf {
	char *data;
	size_t len;
	FILE *f;
};

static FILE *buf_open(struct buf *b)
{
	memset(b, 0, sizeof(*b));
	b->f = open_memstream(&b->data, &b->len);
	assert_non_null(b->f);
	return b->f;
}

static char *buf_close(struct buf *b)
{
	assert_int_equal(fclose(b->f), 0);
	return b->data;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *data = NULL;
	size_t len = 0;
	FILE *m;
	char chunk[4096];
	size_t n;

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	m = open_memstream(&data, &len);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return data;
}

static struct flame *load(const char *name)
{
	struct flame *f = flame__new();
	FILE *in = fopen(name, "r");

	if (!in)
		fail_msg("cannot open %s: %s", name, strerror(errno));
	assert_non_null(f);
	assert_int_equal(flame__read_folded(f, in), 0);
	fclose(in);
	return f;
}

static struct flame *from_text(const char *text)
{
	struct flame *f = flame__new();
	FILE *in = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	assert_non_null(in);
	assert_int_equal(flame__read_folded(f, in), 0);
	fclose(in);
	return f;
}

/* Compare with a golden file, or rewrite it when FLAME_UPDATE_GOLDEN is set. */
static void check_golden(const char *got, const char *file)
{
	char path[512];
	char *want;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, file);
	if (getenv("FLAME_UPDATE_GOLDEN")) {
		FILE *out = fopen(path, "w");

		assert_non_null(out);
		fputs(got, out);
		fclose(out);
	}
	want = slurp(path);
	if (strcmp(got, want)) {
		fprintf(stderr, "--- %s expected:\n%s--- got:\n%s", path, want, got);
		free(want);
		fail_msg("%s differs", path);
	}
	free(want);
}

static char *folded_of(const struct flame *f)
{
	struct buf b;

	assert_int_equal(flame__write_folded(f, buf_open(&b)), 0);
	return buf_close(&b);
}

static int print_rect(const struct flame_rect *r, void *ctx)
{
	fprintf(ctx, "%d %.6f %.6f %s\n", r->depth, r->x, r->w, r->name);
	return 0;
}

static char *layout_of(const struct flame *f, double min_fraction)
{
	struct buf b;

	assert_int_equal(flame__layout(f, min_fraction, print_rect, buf_open(&b)), 0);
	return buf_close(&b);
}

static char *svg_of(const struct flame *f, const struct flame_opts *o)
{
	struct buf b;

	assert_int_equal(flame__write_svg(f, o, buf_open(&b)), 0);
	return buf_close(&b);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* A small XML well-formedness check: tags balance, attributes are quoted, every '&'
 * starts an entity and no raw '<' or control character appears in text. */
static int xml_well_formed(const char *s, char *why, size_t whylen)
{
	const char *stack[256];
	size_t lens[256];
	int sp = 0, roots = 0;

	while (*s) {
		if (*s == '&') {
			const char *e = strchr(s, ';');
			static const char *const ok[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
			int good = e && s[1] == '#' && e - s >= 3;

			for (size_t i = 0; i < 5 && e && !good; i++)
				good = (size_t)(e - s + 1) == strlen(ok[i]) && !strncmp(s, ok[i], e - s + 1);
			if (!good) {
				snprintf(why, whylen, "bad entity at \"%.20s\"", s);
				return 0;
			}
			s = e + 1;
		} else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' && *s != '\r') {
			snprintf(why, whylen, "control character 0x%02x", *s);
			return 0;
		} else if (!strncmp(s, "<?", 2)) {
			s = strstr(s, "?>");
			if (!s)
				return snprintf(why, whylen, "unterminated <?"), 0;
			s += 2;
		} else if (!strncmp(s, "<![CDATA[", 9)) {
			s = strstr(s, "]]>");
			if (!s)
				return snprintf(why, whylen, "unterminated CDATA"), 0;
			s += 3;
		} else if (!strncmp(s, "<!--", 4)) {
			s = strstr(s, "-->");
			if (!s)
				return snprintf(why, whylen, "unterminated comment"), 0;
			s += 3;
		} else if (*s == '<') {
			int closing = s[1] == '/';
			const char *name = s + 1 + closing;
			size_t nlen = strcspn(name, " \t\n/>");
			const char *p = name + nlen;

			while (*p && *p != '>' && !(*p == '/' && p[1] == '>')) {
				if (*p == '<')
					return snprintf(why, whylen, "'<' inside a tag"), 0;
				if (*p == '"' || *p == '\'') {
					const char *q = strchr(p + 1, *p);

					if (!q)
						return snprintf(why, whylen, "unterminated attribute"), 0;
					if (memchr(p, '<', q - p))
						return snprintf(why, whylen, "'<' in an attribute"), 0;
					p = q;
				} else if (*p == '=' && p[1] != '"' && p[1] != '\'') {
					return snprintf(why, whylen, "unquoted attribute"), 0;
				}
				p++;
			}
			if (!*p)
				return snprintf(why, whylen, "unterminated tag"), 0;
			if (closing) {
				if (!sp || lens[sp - 1] != nlen || strncmp(stack[sp - 1], name, nlen))
					return snprintf(why, whylen, "unbalanced </%.*s>", (int)nlen, name), 0;
				sp--;
			} else if (*p == '/') {
				roots += sp == 0;
				p++;
			} else {
				if (sp == 256)
					return snprintf(why, whylen, "too deep"), 0;
				roots += sp == 0;
				stack[sp] = name;
				lens[sp++] = nlen;
			}
			s = p + 1;
		} else {
			s++;
		}
	}
	if (sp)
		return snprintf(why, whylen, "unclosed <%.*s>", (int)lens[sp - 1], stack[sp - 1]), 0;
	if (roots != 1)
		return snprintf(why, whylen, "%d root elements", roots), 0;
	return 1;
}

static void assert_valid_xml(const char *svg)
{
	char why[128] = "", path[] = "/tmp/test_flame_XXXXXX";
	int fd;
	FILE *f;

	if (!xml_well_formed(svg, why, sizeof(why)))
		fail_msg("SVG is not well-formed XML: %s", why);
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(svg, f);
	fclose(f);
	{
		char cmd[256];
		int rc;

		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' %s",
			 path);
		rc = system(cmd);
		unlink(path);
		assert_int_equal(rc, 0);
	}
}

/* The attribute fill of the first frame whose title starts with name + newline. */
static unsigned int fill_of(const char *svg, const char *name)
{
	char key[256];
	const char *p, *fill;
	unsigned int rgb = 0;

	snprintf(key, sizeof(key), "<title>%s&#10;", name);
	p = strstr(svg, key);
	assert_non_null(p);
	fill = strstr(p, "fill=\"#");
	assert_non_null(fill);
	assert_int_equal(sscanf(fill + 7, "%6x", &rgb), 1);
	return rgb;
}

static char *title_of(const char *svg, const char *name)
{
	char key[256];
	const char *p, *e;

	snprintf(key, sizeof(key), "<title>%s&#10;", name);
	p = strstr(svg, key);
	assert_non_null(p);
	e = strstr(p, "</title>");
	assert_non_null(e);
	return strndup(p, e - p);
}

/* ---- tests ---- */

static void test_folded_golden(void **state)
{
	struct flame *f = load(FIXTURES "/input.folded");
	char *got = folded_of(f);

	check_golden(got, "expected.folded");
	assert_int_equal(flame__total(f), 230);
	free(got);
	flame__free(f);
}

static void test_layout_golden(void **state)
{
	struct flame *f = load(FIXTURES "/input.folded");
	char *got = layout_of(f, 0);

	check_golden(got, "expected.layout");
	free(got);
	flame__free(f);
}

static void test_round_trip(void **state)
{
	struct flame *f = load(FIXTURES "/input.folded"), *g;
	char *a = folded_of(f), *b, *la, *lb;

	g = from_text(a);
	b = folded_of(g);
	assert_string_equal(a, b);
	assert_int_equal(flame__total(f), flame__total(g));
	la = layout_of(f, 0);
	lb = layout_of(g, 0);
	assert_string_equal(la, lb);
	free(a);
	free(b);
	free(la);
	free(lb);
	flame__free(f);
	flame__free(g);
}

static void test_add_order_and_merge(void **state)
{
	const char *s1[] = { "main", "b" }, *s2[] = { "main", "a" }, *s3[] = { "main" };
	struct flame *f = flame__new(), *g = flame__new();
	unsigned long long v = 0, self = 0;
	char *a, *b;

	/* the same stacks in another order give the same output */
	assert_int_equal(flame__add(f, s1, 2, 5), 0);
	assert_int_equal(flame__add(f, s2, 2, 3), 0);
	assert_int_equal(flame__add(f, s3, 1, 2), 0);
	assert_int_equal(flame__add(f, s1, 2, 1), 0);
	assert_int_equal(flame__add(g, s3, 1, 2), 0);
	assert_int_equal(flame__add(g, s1, 2, 6), 0);
	assert_int_equal(flame__add(g, s2, 2, 3), 0);
	assert_int_equal(flame__add(g, s2, 2, 0), 0);       /* nothing */
	a = folded_of(f);
	b = folded_of(g);
	assert_string_equal(a, "main 2\nmain;a 3\nmain;b 6\n");
	assert_string_equal(a, b);
	assert_int_equal(flame__lookup(f, s3, 1, &v, &self), 0);
	assert_int_equal(v, 11);
	assert_int_equal(self, 2);
	assert_int_equal(flame__lookup(f, NULL, 0, &v, NULL), 0);
	assert_int_equal(v, 11);
	assert_int_equal(flame__lookup(f, (const char *[]){ "main", "zzz" }, 2, &v, NULL), -ENOENT);
	free(a);
	free(b);
	flame__free(f);
	flame__free(g);
}

static void test_names_normalised(void **state)
{
	const char *st[] = { "root;with;semicolons", "line\nbreak\r", "ok name" };
	struct flame *f = flame__new();
	char *out;

	assert_int_equal(flame__add(f, st, 3, 7), 0);
	out = folded_of(f);
	assert_string_equal(out, "root:with:semicolons;line break ;ok name 7\n");
	/* and lookups see the same names */
	assert_int_equal(flame__lookup(f, st, 3, NULL, NULL), 0);
	free(out);
	flame__free(f);
}

static void test_bad_input(void **state)
{
	static const char *const bad[] = {
		"", "   ", "a;b", "a;b ", "a;b -3", "a;b 1.5", "a;b 12x", " 7", "a;b 99999999999999999999",
	};
	struct flame *f = flame__new();
	const char *text = "a;b 1\nc 2\n\nd;e x3\nf 4\n";
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	char *out;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(flame__add_folded_line(f, bad[i]), -EINVAL);
	assert_int_equal(flame__add(f, NULL, 1, 1), -EINVAL);
	assert_int_equal(flame__add(f, (const char *[]){ "a" }, 0, 1), -EINVAL);
	assert_int_equal(flame__add_folded_line(f, "a;b 18446744073709551615"), 0);
	assert_int_equal(flame__add_folded_line(f, "a 1"), -EOVERFLOW);
	flame__free(f);

	/* a bad line stops the read; the lines before it are kept */
	f = flame__new();
	assert_int_equal(flame__read_folded(f, in), -EINVAL);
	fclose(in);
	out = folded_of(f);
	assert_string_equal(out, "a;b 1\nc 2\n");
	free(out);
	flame__free(f);
}

static void test_min_width_merges(void **state)
{
	const char *text = "main;big 9000\nmain;tiny1 3\nmain;tiny2;deeper 2\nmain;zbig 990\nother 5\n";
	struct flame *f = from_text(text);
	struct flame_opts o = { .width_px = 1200, .min_width_px = 2 };
	char *all = layout_of(f, 0), *merged = layout_of(f, 0.001), *svg;

	assert_non_null(strstr(all, "1 0.999500 0.000500 other\n"));
	assert_non_null(strstr(all, "3 "));
	/* 3, 2 and 5 of 10000 are under 0.1%: gone, their parent keeps its full width and the
	 * frames after them keep their place */
	assert_string_equal(merged,
			    "0 0.000000 1.000000 all\n"
			    "1 0.000000 0.999500 main\n"
			    "2 0.000000 0.900000 big\n"
			    "2 0.900500 0.099000 zbig\n");
	/* in the SVG with a 2px minimum: 2 px of 1180 is 0.17% */
	svg = svg_of(f, &o);
	assert_int_equal(count(svg, "<g class=\"f\""), 4);
	assert_null(strstr(svg, "tiny"));
	assert_non_null(strstr(svg, "data-g=\"5\""));  /* zbig: the undrawn value before it */
	free(svg);
	/* the default, 0.1px, keeps them all at 1200px */
	svg = svg_of(f, NULL);
	assert_int_equal(count(svg, "<g class=\"f\""), 8);
	free(svg);
	free(all);
	free(merged);
	flame__free(f);
}

static int find_delta(const struct flame_rect *r, void *ctx)
{
	struct { const char *name; double delta; int found; } *want = ctx;

	if (strcmp(r->name, want->name) == 0) {
		want->delta = r->delta;
		want->found = 1;
	}
	return 0;
}

static double delta_of(const struct flame *before, const struct flame *after, const char *name)
{
	struct { const char *name; double delta; int found; } want = { name, 0, 0 };

	assert_int_equal(flame__layout_diff(before, after, 0, find_delta, &want), 0);
	assert_true(want.found);
	return want.delta;
}

#define R(c) (((c) >> 16) & 0xff)
#define B(c) ((c) & 0xff)

static void test_diff_colours(void **state)
{
	/* totals differ (110 and 220): shares are what is compared */
	struct flame *before = from_text("app;grows 30\napp;shrinks 60\napp;same 10\napp;gone 10\n");
	struct flame *after = from_text("app;grows 120\napp;shrinks 40\napp;same 20\napp;new 40\n");
	double dg = delta_of(before, after, "grows"), ds = delta_of(before, after, "shrinks");
	double dn = delta_of(before, after, "new"), dsame = delta_of(before, after, "same");
	struct buf b;
	char *svg, *title;

	assert_true(dg > 0);
	assert_true(ds < 0);
	assert_true(dn > 0);
	assert_true(fabs(dg - (120.0 / 220 - 30.0 / 110)) < 1e-12);
	assert_true(dsame == 0);                            /* 10 of 110 and 20 of 220 */
	assert_true(fabs(delta_of(before, after, "all")) < 1e-12);

	/* red grows, blue shrinks, the strongest at full intensity, no change neutral */
	assert_true(R(flame__diff_rgb(0.1, 0.2)) > B(flame__diff_rgb(0.1, 0.2)));
	assert_true(B(flame__diff_rgb(-0.1, 0.2)) > R(flame__diff_rgb(-0.1, 0.2)));
	assert_true(R(flame__diff_rgb(0.2, 0.2)) - B(flame__diff_rgb(0.2, 0.2)) >
		    R(flame__diff_rgb(0.05, 0.2)) - B(flame__diff_rgb(0.05, 0.2)));
	assert_int_equal(R(flame__diff_rgb(0, 0.2)), B(flame__diff_rgb(0, 0.2)));

	assert_int_equal(flame__write_diff_svg(before, after, NULL, buf_open(&b)), 0);
	svg = buf_close(&b);
	assert_valid_xml(svg);
	assert_true(R(fill_of(svg, "grows")) > B(fill_of(svg, "grows")));
	assert_true(B(fill_of(svg, "shrinks")) > R(fill_of(svg, "shrinks")));
	/* shrinks changed most: -0.36 against +0.27 */
	assert_int_equal(fill_of(svg, "shrinks"), flame__diff_rgb(ds, -ds));
	assert_int_equal(fill_of(svg, "grows"), flame__diff_rgb(dg, -ds));
	assert_int_equal(fill_of(svg, "same"), flame__diff_rgb(0, -ds));
	title = title_of(svg, "app");
	assert_non_null(strstr(title, "removed: gone"));
	free(title);
	title = title_of(svg, "new");
	assert_non_null(strstr(title, "(new)"));
	free(title);
	assert_null(strstr(svg, "<title>gone"));           /* widths come from after */
	free(svg);
	flame__free(before);
	flame__free(after);
}

static void test_svg_valid_and_escaped(void **state)
{
	const char *nasty[] = { "<script>alert(1)</script>", "a & b \"q\" 'x' ]]> --> <!--",
				"ctl\x01\x1f\x7f", "bad\xff\xfeutf8\xc3", "wide 函数 é" };
	struct flame *f = load(FIXTURES "/input.folded");
	struct flame_opts o = { .title = "T <&> \"t\"", .subtitle = "sub & title", .id_prefix = "p1" };
	char *svg;

	assert_int_equal(flame__add(f, nasty, 5, 100), 0);
	svg = svg_of(f, &o);
	assert_valid_xml(svg);
	assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(svg, "id=\"p1svg\""));
	assert_non_null(strstr(svg, "#p1svg .f"));          /* the style is scoped */
	assert_null(strstr(svg, "flame-svg"));
	assert_null(strstr(svg, "href"));                   /* nothing external */
	assert_non_null(strstr(svg, "<script"));
	assert_non_null(strstr(svg, "<style"));
	/* every frame is a <g> with a <title>, a <rect> and a <text> */
	assert_int_equal(count(svg, "<g class=\"f\"") + 1, count(svg, "<title>"));
	assert_non_null(strstr(svg, "\">\n<title>T &lt;&amp;&gt; &quot;t&quot;</title>"));
	assert_int_equal(count(svg, "<g class=\"f\""), count(svg, "</text></g>"));
	assert_non_null(strstr(svg, "<title>json_decode&#10;42 samples, 12.73%</title>"));
	free(svg);

	o.palette = FLAME_OFFCPU_REASON;
	svg = svg_of(f, &o);
	assert_valid_xml(svg);
	free(svg);

	/* bad options */
	{
		struct buf b;
		struct flame_opts bad = { .id_prefix = "x\"y" };

		assert_int_equal(flame__write_svg(f, &bad, buf_open(&b)), -EINVAL);
		free(buf_close(&b));
		bad = (struct flame_opts){ .palette = FLAME_DIFF };
		assert_int_equal(flame__write_svg(f, &bad, buf_open(&b)), -EINVAL);
		free(buf_close(&b));
	}
	flame__free(f);
}

static void test_label_truncation(void **state)
{
	/* 200 px wide frames hold (200 - 6) / 6.6 = 29 characters */
	struct flame *f = from_text("éééééééééééééééééééééééééééééééééééééééé 1\nx 4\n");
	struct flame_opts o = { .width_px = 1020 };
	char *svg = svg_of(f, &o);

	assert_valid_xml(svg);
	assert_non_null(strstr(svg, ">ééééééééééééééééééééééééééé..</text>"));
	free(svg);
	flame__free(f);
}

static void test_offcpu_palette(void **state)
{
	struct flame *f = from_text("gil;python;take_gil 50\nio;python;read 30\nlock;x 10\nmystery;y 10\n");
	struct flame_opts o = { .palette = FLAME_OFFCPU_REASON, .unit = "ns" };
	char *svg = svg_of(f, &o);

	assert_valid_xml(svg);
	/* the reason frames take their base colour, and the legend names each reason */
	assert_int_equal(fill_of(svg, "gil"), 0x9b7fd4);
	assert_int_equal(fill_of(svg, "io"), 0x5aa6ee);
	assert_int_equal(fill_of(svg, "lock"), 0x7b8ce0);
	assert_int_equal(fill_of(svg, "mystery"), 0xc4c4c4);
	assert_non_null(strstr(svg, ">gil 50.0%</text>"));
	assert_non_null(strstr(svg, ">not a reason 10.0%</text>"));
	assert_null(strstr(svg, ">poll "));
	assert_non_null(strstr(svg, "<title>read&#10;30ns, 30.00%</title>"));
	free(svg);
	flame__free(f);
}

static void test_empty_profile(void **state)
{
	struct flame *f = flame__new();
	struct buf b;
	char *svg = svg_of(f, NULL);

	assert_valid_xml(svg);
	assert_non_null(strstr(svg, "No samples"));
	free(svg);
	assert_int_equal(flame__write_folded(f, buf_open(&b)), 0);
	svg = buf_close(&b);
	assert_string_equal(svg, "");
	free(svg);
	assert_int_equal(flame__total(f), 0);
	flame__free(f);
}

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* 100,000 distinct stacks: a skewed choice of callers over a few hundred functions, and
 * a unique leaf. The SVG must stay small thanks to the minimum width. */
static void test_large_profile_svg_size(void **state)
{
	struct flame *f = flame__new(), *g;
	uint64_t seed = 42;
	char names[64][40], leaf[40];
	const char *st[40];
	struct buf b;
	char *svg, *folded;
	size_t lines;

	for (int i = 0; i < 64; i++)
		snprintf(names[i], sizeof(names[i]), "module_%d::function_%d", i % 7, i);
	for (int i = 0; i < 100000; i++) {
		int depth = 4 + rnd(&seed) % 24;

		for (int d = 0; d < depth; d++) {
			uint64_t r = rnd(&seed) % 1000;
			/* most calls go to a few functions: squared to skew towards 0 */
			st[d] = names[(r * r / 1000) * 64 / 1000];
		}
		snprintf(leaf, sizeof(leaf), "leaf_%d", i);
		st[depth] = leaf;
		assert_int_equal(flame__add(f, st, depth + 1, 1 + rnd(&seed) % 100), 0);
	}
	folded = folded_of(f);
	lines = count(folded, "\n");
	assert_int_equal(lines, 100000);
	g = from_text(folded);                        /* parses back */
	assert_int_equal(flame__total(f), flame__total(g));
	flame__free(g);
	free(folded);

	assert_int_equal(flame__write_svg(f, NULL, buf_open(&b)), 0);
	svg = buf_close(&b);
	fprintf(stderr, "100k stacks: SVG %zu bytes, %zu frames drawn\n", strlen(svg),
		count(svg, "<g class=\"f\""));
	assert_true(strlen(svg) < 5 * 1024 * 1024);
	assert_valid_xml(svg);
	free(svg);
	flame__free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded_golden),
		cmocka_unit_test(test_layout_golden),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_add_order_and_merge),
		cmocka_unit_test(test_names_normalised),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_min_width_merges),
		cmocka_unit_test(test_diff_colours),
		cmocka_unit_test(test_svg_valid_and_escaped),
		cmocka_unit_test(test_label_truncation),
		cmocka_unit_test(test_offcpu_palette),
		cmocka_unit_test(test_empty_profile),
		cmocka_unit_test(test_large_profile_svg_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
