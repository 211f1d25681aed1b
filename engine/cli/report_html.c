/*
 * The report's page (report.h): one HTML file with its style, pictures
 * and a few lines of script inline, so it opens from file:// with no
 * network.  Nothing here reads a clock: the times shown are the runs'
 * (and --now's).
 */
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "graph.h"
#include "json.h"
#include "plot.h"
#include "plot_page.h"
#include "report.h"
#include "runrec.h"
#include "svg.h"
#include "units.h"
#include "util.h"
#include "version.h"

static void esc(struct buf *out, const char *s)
{
	svg_escape(out, s);
}

/* A value of a record (params, matrix): strings bare, numbers read. */
static void value(struct buf *out, const struct json *v)
{
	struct buf t = BUF_INIT;

	if (v->type == JSON_NUMBER)
		plot_number(&t, v->u.number);
	else if (v->type == JSON_STRING)
		buf_adds(&t, v->u.string);
	else
		json_write(&t, v);
	esc(out, t.data);
	buf_release(&t);
}

static void state_badge(struct buf *out, int state)
{
	buf_addf(out, "<span class=\"state s%d\">%s</span>", state,
		 report_state_name(state));
}

static void short_id(struct buf *out, const struct digest *id)
{
	char hex[DIGEST_HEX + 1];

	digest_hex(id, hex);
	buf_addf(out, "<span class=\"id\" title=\"%s\">%.12s</span>", hex, hex);
}

static void header(struct buf *out, const struct report *r)
{
	static const char *const lock_state[] = {
		"absent (nothing has run)", "matches the workspace",
		"out of date: a run would change it"
	};
	char t[32];

	buf_adds(out, "<header><h1>");
	esc(out, r->g->name);
	buf_adds(out, "</h1>\n<p class=\"meta\">graph <code>");
	esc(out, r->g->file);
	buf_addf(out, "</code> &middot; cairn %s &middot; ", cairn_version());
	if (r->newest_ns)
		buf_addf(out, "runs recorded up to %s UTC",
			 format_time(r->newest_ns, t));
	else
		buf_adds(out, "no runs recorded");
	buf_adds(out, " &middot; lock file <code>");
	esc(out, r->lock_path);
	buf_addf(out, "</code>: <span id=\"lock\">%s", lock_state[r->lock]);
	if (r->lock != REPORT_LOCK_ABSENT)
		buf_addf(out, ", %zu entr%s", r->lock_entries,
			 r->lock_entries == 1 ? "y" : "ies");
	buf_adds(out, "</span>");
	if (r->now_ns)
		buf_addf(out, " &middot; made %s UTC", format_time(r->now_ns, t));
	buf_adds(out, "</p>\n<nav><a href=\"#graph\">graph</a><a "
		      "href=\"#timeline\">last run</a><a href=\"#experiments\">"
		      "experiments</a><a href=\"#pictures\">pictures</a><a "
		      "href=\"#stages\">stages</a></nav></header>\n");
}

static void graph_section(struct buf *out, const struct report *r)
{
	int k;

	buf_adds(out, "<section id=\"graph\"><h2>Graph</h2>\n<p>");
	for (k = 0; k < REPORT_NSTATES; k++) {
		state_badge(out, k);
		buf_addc(out, ' ');
	}
	buf_adds(out, "</p>\n");
	report_dag_svg(out, r);
	buf_adds(out, "</section>\n");
}

static void timeline_section(struct buf *out, const struct report *r)
{
	size_t i, ran = 0, restored = 0, failed = 0;
	int64_t end = 0;
	char t[32];

	buf_adds(out, "<section id=\"timeline\"><h2>Last run</h2>\n");
	if (!r->nbars) {
		buf_adds(out, "<p>No run recorded.</p></section>\n");
		return;
	}
	for (i = 0; i < r->nbars; i++) {
		if (r->bars[i].restored)
			restored++;
		else if (r->bars[i].ok)
			ran++;
		else
			failed++;
		if (r->bars[i].end_ns > end)
			end = r->bars[i].end_ns;
	}
	buf_addf(out, "<p>From %s UTC, %.2f s: %zu ran, %zu restored, %zu "
		      "failed, in %d slot%s.</p>\n",
		 format_time(r->bars[0].start_ns, t),
		 (double)(end - r->bars[0].start_ns) / 1e9, ran, restored,
		 failed, r->nlanes, r->nlanes == 1 ? "" : "s");
	report_gantt_svg(out, r);
	buf_adds(out, "</section>\n");
}

/* Names in order of first appearance, without repeats. */
struct names {
	const char **v;
	size_t n, cap;
};

static void names_add(struct names *ns, const char *name)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], name))
			return;
	xgrow((void **)&ns->v, &ns->cap, ns->n + 1, sizeof(*ns->v));
	ns->v[ns->n++] = name;
}

static int in_table(const struct report_inst *ri)
{
	return ri->in->stage->nmetrics > 0 ||
	       (ri->run && runrec_get(ri->run, "metrics"));
}

static void experiments_section(struct buf *out, const struct report *r)
{
	struct names mx = { 0 }, pa = { 0 }, me = { 0 };
	double *best;
	size_t i, k, rows = 0;

	for (i = 0; i < r->ninsts; i++) {
		const struct report_inst *ri = &r->insts[i];
		const struct json *m;
		if (!in_table(ri))
			continue;
		rows++;
		for (k = 0; k < ri->in->nbinds; k++)
			names_add(&mx, ri->in->binds[k].name);
		for (k = 0; k < ri->in->nparams; k++)
			names_add(&pa, ri->in->params[k]);
		m = ri->run ? runrec_get(ri->run, "metrics") : NULL;
		for (k = 0; m && m->type == JSON_OBJECT && k < m->u.object.n; k++)
			names_add(&me, m->u.object.k[k]);
	}
	buf_adds(out, "<section id=\"experiments\"><h2>Experiments</h2>\n");
	if (!rows) {
		buf_adds(out, "<p>No stage declares metrics.</p></section>\n");
		return;
	}
	/* The best of each column; none where every row has the same. */
	best = xcalloc(me.n + 1, sizeof(double));
	for (k = 0; k < me.n; k++) {
		struct plot_best pb;

		plot_best_init(&pb, me.v[k]);
		for (i = 0; i < r->ninsts; i++) {
			double x;
			if (in_table(&r->insts[i]) && r->insts[i].run &&
			    json_num(runrec_get(r->insts[i].run, "metrics"),
				     me.v[k], &x) == 0)
				plot_best_add(&pb, x);
		}
		best[k] = plot_best_value(&pb);
	}
	buf_adds(out, "<p>One row per instance: its matrix values, the params "
		      "it uses, then the metrics of the run behind its "
		      "outputs. Click a header to sort; the best value of "
		      "each metric is marked.</p>\n<table id=\"exp\" "
		      "class=\"sortable\"><thead><tr><th>instance</th>"
		      "<th>state</th>");
	for (k = 0; k < mx.n; k++) {
		buf_adds(out, "<th class=\"matrix\">");
		esc(out, mx.v[k]);
		buf_adds(out, "</th>");
	}
	for (k = 0; k < pa.n; k++) {
		buf_adds(out, "<th class=\"param\">");
		esc(out, pa.v[k]);
		buf_adds(out, "</th>");
	}
	for (k = 0; k < me.n; k++) {
		int lo = plot_smaller_better(me.v[k]);
		buf_addf(out, "<th class=\"metric\" data-best=\"%s\" title=\"%s "
			      "is better\">",
			 lo ? "min" : "max", lo ? "smaller" : "larger");
		esc(out, me.v[k]);
		buf_adds(out, "</th>");
	}
	buf_adds(out, "</tr></thead>\n<tbody>\n");
	for (i = 0; i < r->ninsts; i++) {
		const struct report_inst *ri = &r->insts[i];
		const struct json *pv, *mv;
		if (!in_table(ri))
			continue;
		pv = ri->run ? runrec_get(ri->run, "params") : NULL;
		mv = ri->run ? runrec_get(ri->run, "metrics") : NULL;
		buf_adds(out, "<tr data-inst=\"");
		esc(out, ri->in->name);
		buf_addf(out, "\"><td><a href=\"#inst-%zu\">", ri->in->index);
		esc(out, ri->in->name);
		buf_adds(out, "</a></td><td>");
		state_badge(out, ri->state);
		buf_adds(out, "</td>");
		for (k = 0; k < mx.n; k++) {
			const struct graph_bind *b = NULL;
			size_t j;
			for (j = 0; j < ri->in->nbinds; j++)
				if (!strcmp(ri->in->binds[j].name, mx.v[k]))
					b = &ri->in->binds[j];
			buf_adds(out, "<td>");
			esc(out, b ? b->text : "-");
			buf_adds(out, "</td>");
		}
		for (k = 0; k < pa.n; k++) {
			const struct json *v = json_member(pv, pa.v[k]);
			if (v && v->type == JSON_NUMBER) {
				buf_adds(out, "<td class=\"num\" data-v=\"");
				json_float(out, v->u.number);
				buf_adds(out, "\">");
			} else {
				buf_adds(out, "<td>");
			}
			if (v)
				value(out, v);
			else
				buf_adds(out, "-");
			buf_adds(out, "</td>");
		}
		for (k = 0; k < me.n; k++) {
			double x;
			if (json_num(mv, me.v[k], &x) < 0) {
				buf_adds(out, "<td class=\"num\">-</td>");
				continue;
			}
			buf_addf(out, "<td class=\"num%s\" data-v=\"",
				 x == best[k] ? " best" : "");
			json_float(out, x);
			buf_adds(out, "\">");
			plot_number(out, x);
			buf_adds(out, "</td>");
		}
		buf_adds(out, "</tr>\n");
	}
	buf_adds(out, "</tbody></table></section>\n");
	free(best);
	free(mx.v);
	free(pa.v);
	free(me.v);
}

/* A stage's pictures: of its instances' artifacts, every member of a
 * sweep overlaid (plot.h). */
static void stage_pictures(struct buf *out, const struct report *r,
			   const struct graph_stage *st)
{
	struct report_art a;
	struct buf figs = BUF_INIT;

	report_artifacts(r, st, &a);
	if (a.n && plot_artifacts(&figs, a.src, a.n)) {
		buf_adds(out, "<h3>");
		esc(out, st->name);
		buf_adds(out, "</h3>\n<div class=\"charts\">\n");
		buf_add(out, figs.data, figs.len);
		buf_adds(out, "</div>\n");
	}
	buf_release(&figs);
	report_artifacts_free(&a);
}

static void pictures_section(struct buf *out, const struct report *r)
{
	size_t s, before;

	buf_adds(out, "<section id=\"pictures\"><h2>Pictures</h2>\n");
	before = out->len;
	for (s = 0; s < r->g->nstages; s++)
		stage_pictures(out, r, &r->g->stages[s]);
	if (out->len == before)
		buf_adds(out, "<p>No output of a run is one cairn can draw.</p>\n");
	buf_adds(out, "</section>\n");
}

static void inst_detail(struct buf *out, const struct report *r,
			const struct report_inst *ri)
{
	const struct runrec *run = ri->run;
	const struct json *outs, *ins;
	char t[32], sz[32], hex[DIGEST_HEX + 1];
	size_t k;

	buf_addf(out, "<div class=\"inst\" id=\"inst-%zu\"><h4>",
		 ri->in->index);
	esc(out, ri->in->name);
	buf_adds(out, " ");
	state_badge(out, ri->state);
	buf_adds(out, "</h4>\n");
	if (ri->last && !ri->last->ok) {
		digest_hex(&ri->last->id, hex);
		buf_addf(out, "<p>Last run <span class=\"id\">%.12s</span> "
			      "failed at %s UTC: ",
			 hex, format_time(ri->last->start_ns, t));
		esc(out, ri->last->error ? ri->last->error : "failed");
		buf_adds(out, "</p>\n");
	}
	if (!run) {
		buf_adds(out, "<p>No successful run recorded.</p></div>\n");
		return;
	}
	digest_hex(&run->id, hex);
	buf_addf(out, "<p id=\"run-%s\">Run <span class=\"id\" title=\"%s\">"
		      "%.12s</span>, %s UTC, %.2f s.</p>\n",
		 hex, hex, hex, format_time(run->start_ns, t), run->duration_s);
	outs = runrec_get(run, "outputs");
	if (outs && outs->type == JSON_ARRAY && outs->u.array.n) {
		buf_adds(out, "<table class=\"outputs\"><tr><th>output</th>"
			      "<th>path</th><th>id</th><th>size</th></tr>\n");
		for (k = 0; k < outs->u.array.n && k < run->noutputs; k++) {
			const char *name = json_str(outs->u.array.v[k], "name");
			const char *path = json_str(outs->u.array.v[k], "path");
			buf_adds(out, "<tr><td>");
			esc(out, name ? name : "");
			buf_adds(out, "</td><td><code>");
			esc(out, path ? path : "");
			buf_adds(out, "</code></td><td>");
			short_id(out, &run->outputs[k]);
			buf_addf(out, "</td><td class=\"num\">%s</td></tr>\n",
				 ri->out_size[k] == UINT64_MAX
					 ? "not stored"
					 : format_size(ri->out_size[k], sz));
		}
		buf_adds(out, "</table>\n");
	}
	ins = runrec_get(run, "inputs");
	if (ins && ins->type == JSON_ARRAY && ins->u.array.n) {
		buf_adds(out, "<details class=\"lineage\"><summary>lineage: "
			      "made from</summary><table><tr><th>input</th>"
			      "<th>id</th><th>from</th></tr>\n");
		for (k = 0; k < ins->u.array.n; k++) {
			const struct json *e = ins->u.array.v[k];
			const char *path = json_str(e, "path");
			const char *from = json_str(e, "from");
			const char *id = json_str(e, "id");
			const struct json *code = json_member(e, "code");
			const struct graph_inst *up =
				from ? graph_find(r->g, from) : NULL;

			buf_adds(out, "<tr><td><code>");
			esc(out, path ? path : "");
			buf_adds(out, "</code></td><td><span class=\"id\">");
			if (id)
				buf_addf(out, "%.12s", id);
			buf_adds(out, "</span></td><td>");
			if (up) {
				buf_addf(out, "<a href=\"#inst-%zu\">",
					 up->index);
				esc(out, from);
				buf_adds(out, "</a>");
			} else if (from) {
				esc(out, from);
			} else {
				buf_adds(out, code && code->type == JSON_BOOL &&
						      code->u.boolean
						      ? "code"
						      : "source");
			}
			buf_adds(out, "</td></tr>\n");
		}
		buf_adds(out, "</table></details>\n");
	}
	buf_adds(out, "</div>\n");
}

static void stages_section(struct buf *out, const struct report *r)
{
	size_t s, i;

	buf_adds(out, "<section id=\"stages\"><h2>Stages</h2>\n");
	for (s = 0; s < r->g->nstages; s++) {
		const struct graph_stage *st = &r->g->stages[s];

		buf_adds(out, "<section class=\"stage\" id=\"stage-");
		esc(out, st->name);
		buf_adds(out, "\"><h3>");
		esc(out, st->name);
		buf_adds(out, "</h3>\n<p>");
		if (st->kind) {
			buf_adds(out, "kind <code>");
			esc(out, st->kind);
			buf_adds(out, "</code>");
		} else {
			buf_adds(out, "shell command");
		}
		buf_addf(out, ", %zu instance%s</p>\n", st->ninsts,
			 st->ninsts == 1 ? "" : "s");
		for (i = 0; i < r->ninsts; i++)
			if (r->insts[i].in->stage == st)
				inst_detail(out, r, &r->insts[i]);
		buf_adds(out, "</section>\n");
	}
	buf_adds(out, "</section>\n");
}

void report_html(struct buf *out, const struct report *r)
{
	struct buf title = BUF_INIT;

	buf_addf(&title, "cairn report: %s", r->g->name);
	plot_page_open(out, title.data, NULL);
	buf_release(&title);
	header(out, r);
	graph_section(out, r);
	timeline_section(out, r);
	experiments_section(out, r);
	pictures_section(out, r);
	stages_section(out, r);
	plot_page_close(out);
}
