/* Stack profiles: a tree of frames with values, the folded text format, the flame-graph
 * layout, and self-contained interactive SVG flame graphs (plain and differential). */
#ifndef CT_FLAME_H
#define CT_FLAME_H
#include <stdio.h>

/*
 * A profile is a set of stacks, each a sequence of frame names from the root (outermost
 * caller, or the off-CPU reason) to the leaf, with a value: a sample count or nanoseconds.
 * Stacks with a common prefix share nodes; siblings are ordered by name (strcmp), so every
 * output is deterministic whatever order the stacks were added in.
 *
 * Frame names may hold any bytes except three that the folded format cannot carry: when a
 * stack is added, ';' in a name becomes ':' (as FlameGraph's stackcollapse scripts do), and
 * '\n' and '\r' become ' '. Everything else is kept; the SVG writer escapes it for XML and
 * replaces control characters and invalid UTF-8 with U+FFFD.
 */
struct flame;

struct flame *flame__new(void);
void flame__free(struct flame *f);

/* Add value to the stack frames[0] (root) .. frames[nframes - 1] (leaf). A value of 0
 * changes nothing. -EINVAL without frames, -EOVERFLOW if the total would overflow. */
int flame__add(struct flame *f, const char *const *frames, int nframes, unsigned long long value);
/* One folded line, "root;mid;leaf 123": the value follows the last space or tab and is a
 * decimal integer; frames are split at ';' and kept as they are (spaces included);
 * whitespace before the value and a trailing "\r\n" are dropped (so trailing blanks of a
 * leaf's name do not survive a round trip). -EINVAL if malformed. */
int flame__add_folded_line(struct flame *f, const char *line);
/* A whole folded file. Blank lines are skipped. On a malformed line it warns with the line
 * number, returns -EINVAL and keeps the lines before it. */
int flame__read_folded(struct flame *f, FILE *in);
/* One line per distinct stack with a self value, "a;b;c value", in tree order (frame by
 * frame, by name; a stack before its extensions). FlameGraph, inferno and speedscope read it. */
int flame__write_folded(const struct flame *f, FILE *out);

unsigned long long flame__total(const struct flame *f);
/* Value (inclusive) and self value of one stack prefix; -ENOENT if it is not in the tree. */
int flame__lookup(const struct flame *f, const char *const *frames, int nframes,
		  unsigned long long *value, unsigned long long *self);

enum flame_palette {
	FLAME_HOT = 0,          /* warm colours, by a hash of the frame name */
	/* by the stack's root frame, the off-CPU reason; base colours (names of reasons.h):
	 * lock #7b8ce0, gil #9b7fd4, gil-handoff #cfa0e6, io #5aa6ee, poll #8fd3f5,
	 * sleep #7fcfd0, child #b9b3ea, preempted #d893c8, other #9fb0c8, unknown roots #c4c4c4.
	 * Frames vary a little in lightness by name so that neighbours stay distinguishable. */
	FLAME_OFFCPU_REASON,
	FLAME_DIFF,             /* flame__write_diff_svg only; flame__write_svg: -EINVAL */
};

/* Zeroed fields take the defaults. */
struct flame_opts {
	const char *title;        /* "Flame Graph" / "Differential Flame Graph" */
	const char *subtitle;     /* a second, smaller line; none by default */
	const char *unit;         /* "samples" (default), "ns" (shown as us/ms/s), or any noun */
	enum flame_palette palette;
	double min_width_px;      /* narrower frames are not drawn, their parent keeps their
				   * width (FlameGraph's --minwidth); default 0.1 */
	int width_px;             /* default 1200 */
	/* Prefix of the one id in the document ("<prefix>svg"), which scopes the style and
	 * the script so that several graphs can be inlined into one HTML page. Letters, digits,
	 * '-' and '_', starting with a letter; default "flame-". */
	const char *id_prefix;
};

/* A standalone SVG document (XML declaration, inline style and script, nothing external).
 * Pasted as is into an HTML page it works too: HTML parsers take the declaration for a
 * comment, and the style and script only touch the element with the prefixed id. Frames
 * are <g class="f" data-v="value"> holding a <title> (name, value, share), a <rect> and a
 * <text> label; the script adds zoom (click), search and details on hover. o may be NULL. */
int flame__write_svg(const struct flame *f, const struct flame_opts *o, FILE *out);
/* Widths from `after`. Each frame's colour is the change of its share of its own graph's
 * total: red where it grew, blue where it shrank, the strongest change at full intensity.
 * Children only in `before` are listed in their parent's tooltip as removed. */
int flame__write_diff_svg(const struct flame *before, const struct flame *after,
			  const struct flame_opts *o, FILE *out);

/* One drawn rectangle. Depth 0 is the whole profile, named "all"; x and w are fractions
 * of the total. */
struct flame_rect {
	const char *name;
	int depth;
	double x, w;
	unsigned long long value, self;
	double delta;             /* flame__layout_diff only: share in after - share in before */
};

/* Call cb for each frame at least min_fraction of the total wide (and whose parent is
 * drawn), parents before children, siblings by name. A non-zero return from cb stops the
 * walk and is returned. */
int flame__layout(const struct flame *f, double min_fraction,
		  int (*cb)(const struct flame_rect *r, void *ctx), void *ctx);
int flame__layout_diff(const struct flame *before, const struct flame *after, double min_fraction,
		       int (*cb)(const struct flame_rect *r, void *ctx), void *ctx);
/* The colour (0xRRGGBB) of a differential frame whose share changed by delta, when the
 * largest change drawn is max_abs_delta: red when delta > 0, blue when < 0. */
unsigned int flame__diff_rgb(double delta, double max_abs_delta);

#endif
