/*
 * graph_internal.h: what graph.c (loading and checking keys and types),
 * graph_expand.c (matrices, interpolation) and graph_check.c (edges,
 * cycles, order) share.  Not for use elsewhere.
 */
#ifndef CAIRN_GRAPH_INTERNAL_H
#define CAIRN_GRAPH_INTERNAL_H

#include "buf.h"
#include "graph.h"
#include "toml.h"

struct loader {
	struct graph *g;
	struct err *err;
	size_t cap_insts;
	int wsfd;			/* the workspace, during graph_check */
};

/* The keys of a stage table (graph.c's stage_keys[], in this order). */
enum stage_key {
	SK_CMD, SK_KIND, SK_WITH, SK_DEPS, SK_CODE, SK_OUTS, SK_PARAMS, SK_ENV,
	SK_METRICS, SK_RESOURCES, SK_MATRIX, SK_WDIR, SK_ALWAYS_RUN,
	SK_DETERMINISM, SK_HASH, SK_EXECUTOR, SK_PLOTS, SK_COUNT
};

/* Stage st's value of key k, or NULL.  Most of the keys a stage may have
 * are not there: graph_stage.keys says so without looking. */
const struct toml_value *stage_get(const struct graph_stage *st,
				   enum stage_key k);

/* The stage named name[0..n), or NULL. */
struct graph_stage *graph_stage_findn(const struct graph *g, const char *name,
				      size_t n);

/* An error at value v (or at the start of the file when v is NULL). */
int gerr(struct loader *l, const struct toml_value *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error at line:col. */
int gerr_at(struct loader *l, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A scalar's text as it appears in names and commands. */
int value_text(const struct toml_value *v, struct buf *out);

/* graph_plots.c: a stage's 'plots' table t, checked, into st->plots;
 * and their release. */
int graph_plots(struct loader *l, struct graph_stage *st,
		const struct toml_value *t);
void graph_plots_free(struct graph_stage *st);

/* graph_expand.c: instances of every stage, interpolated. */
int graph_expand(struct loader *l);
/* graph_check.c: edges, claims, existence, cycles; topological order. */
int graph_check(struct loader *l);

/* The first 16 bytes of s (NUL-padded) as two numbers that compare as
 * the bytes do, so that sorting a million names reads few of them. */
void name_prefix(const char *s, uint64_t pre[2]);
/* strcmp(a, b), given their name_prefix pa and pb. */
int name_cmp(const uint64_t pa[2], const char *a, const uint64_t pb[2],
	     const char *b);

/* Normalise a workspace-relative path ("a/./b/../c" -> "a/c"); -1 when
 * it is absolute or climbs out of the workspace. */
int path_normalise(const char *in, struct buf *out);

#endif
