/*
 * The report's pieces: the SVG helpers (escaping, short numbers, axis
 * ticks), the graph's layout (columns by the longest chain of producers,
 * a matrix collapsed), and the last run's timeline from run records in a
 * store: an earlier invocation left out, slots packed, a restore (a run
 * used after its end) shown as one.
 */
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "graph.h"
#include "report.h"
#include "runrec.h"
#include "store.h"
#include "svg.h"
#include "util.h"

static void test_svg(void)
{
	struct buf b = BUF_INIT;
	double t[16], step;
	size_t n;

	svg_escape(&b, "a<b & 'c' \"d\">");
	CHECK_STR(b.data, "a&lt;b &amp; &#39;c&#39; &quot;d&quot;&gt;");
	buf_truncate(&b, 0);
	svg_num(&b, 12.04);
	buf_addc(&b, ' ');
	svg_num(&b, -2.5);
	buf_addc(&b, ' ');
	svg_num(&b, -0.04);
	buf_addc(&b, ' ');
	svg_num(&b, 3.96);
	CHECK_STR(b.data, "12 -2.5 0 4");

	n = svg_ticks(0, 1, 6, t, &step);
	CHECK_INT(n, 6);
	CHECK(step == 0.2 && t[0] == 0 && t[5] > 0.999 && t[5] < 1.001);
	n = svg_ticks(0.38, 0.82, 6, t, &step);
	CHECK_INT(n, 5);
	CHECK(step > 0.0999 && step < 0.1001 && t[0] > 0.399 && t[0] < 0.401);
	n = svg_ticks(3, 3, 6, t, &step);
	CHECK(n == 1 && t[0] == 3);
	n = svg_ticks(0, 0.035, 10, t, &step);
	CHECK_INT(n, 8);
	buf_truncate(&b, 0);
	svg_tick_label(&b, t[7], step);
	CHECK_STR(b.data, "0.035");
	buf_truncate(&b, 0);
	n = svg_ticks(0, 1000, 8, t, &step);
	CHECK(n == 6 && step == 200);
	svg_tick_label(&b, t[1], step);
	CHECK_STR(b.data, "200");
	CHECK_INT(svg_ticks(1, 0, 6, t, &step), 0);
	buf_release(&b);
}

static const char graph_text[] =
	"[graph]\nname = \"t\"\n"
	"[stage.a]\ncmd = \"true\"\nouts = { o = \"a.txt\" }\n"
	"[stage.b]\ncmd = \"true\"\ndeps = { i = \"${stage.a.outs.o}\" }\n"
	"outs = { o = \"b-${matrix.k}.txt\" }\nmatrix = { k = [1, 2] }\n"
	"[stage.c]\ncmd = \"true\"\ndeps = { i = \"${stage.b.outs.o}\", "
	"j = \"${stage.a.outs.o}\" }\nouts = { o = \"c.txt\" }\n";

#define T0 1700000000000000000LL
#define SEC 1000000000LL

/* A run of instance in the store: started at start, for dur. */
static struct digest put(struct store_writer *w, const char *instance,
			 int64_t start, int64_t dur, int ok)
{
	struct runrec_new rn;
	struct store_run sr;
	struct buf payload = BUF_INIT;
	struct digest id;
	struct err e;

	memset(&rn, 0, sizeof(rn));
	rn.graph = "t";
	rn.instance = instance;
	rn.cmd = "true";
	rn.exit = ok ? 0 : 1;
	rn.error = ok ? NULL : "failed with exit status 1";
	rn.params = rn.matrix = "{}";
	rn.start_ns = start;
	rn.duration_ns = dur;
	rn.env = "{}";
	rn.key_enc = "";
	runrec_encode(&payload, &rn);
	memset(&sr, 0, sizeof(sr));
	memset(&sr.key, instance[0], sizeof(sr.key));
	sr.time_ns = start;
	sr.payload = payload.data;
	sr.len = payload.len;
	sr.failed = !ok;
	CHECK_INT(store_put_run(w, &sr, &id, &e), 0);
	buf_release(&payload);
	return id;
}

static void test_report(const char *dir)
{
	char path[1024], store[1024];
	struct graph *g = NULL;
	struct store *s = NULL;
	struct store_writer *w = NULL;
	struct report r;
	struct buf b = BUF_INIT;
	struct digest b1;
	struct err e;
	int state[4] = { REPORT_UPTODATE, REPORT_UPTODATE, REPORT_RESTORABLE,
			 REPORT_WOULD_RUN };
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.toml", dir);
	snprintf(store, sizeof(store), "%s/store", dir);
	f = fopen(path, "w");
	fputs(graph_text, f);
	fclose(f);
	if (graph_load(path, NULL, 0, &g, &e) < 0) {
		fprintf(stderr, "graph_load: %s\n", e.msg);
		CHECK(0);
		return;
	}
	CHECK_INT(g->ninsts, 4);
	CHECK_INT(store_open(store, STORE_CREATE, &s, &e), 0);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	/* An earlier invocation (a minute before), then the last: a, b[k=1]
	 * and b[k=2] side by side, c failing; b[k=1] restored later on. */
	put(w, "c", T0 - 60 * SEC, SEC, 1);
	put(w, "a", T0, 2 * SEC, 1);
	b1 = put(w, "b[k=1]", T0 + 2 * SEC, 3 * SEC, 1);
	put(w, "b[k=2]", T0 + 2 * SEC, SEC, 1);
	put(w, "c", T0 + 5 * SEC, SEC, 0);
	CHECK_INT(store_touch_run(w, &b1, T0 + 20 * SEC, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);

	CHECK_INT(report_gather(&r, g, s, state, &e), 0);
	CHECK_INT(r.nruns, 5);
	CHECK_INT(r.insts[0].state, REPORT_UPTODATE);
	CHECK_INT(r.insts[2].state, REPORT_RESTORABLE);
	CHECK_INT(r.insts[3].state, REPORT_FAILED);
	CHECK(r.insts[3].run && r.insts[3].last && !r.insts[3].last->ok);
	CHECK(r.newest_ns == T0 + 6 * SEC);
	CHECK_INT(r.lock, REPORT_LOCK_ABSENT);
	/* The last run: a, b[k=1], b[k=2] (two slots), c, the restore. */
	CHECK_INT(r.nbars, 5);
	CHECK_INT(r.nlanes, 2);
	if (r.nbars == 5) {
		CHECK(r.bars[0].inst == 0 && r.bars[0].lane == 0);
		CHECK(r.bars[1].start_ns == T0 + 2 * SEC &&
		      r.bars[2].start_ns == T0 + 2 * SEC &&
		      r.bars[1].lane != r.bars[2].lane);
		CHECK(r.bars[3].inst == 3 && !r.bars[3].ok &&
		      r.bars[3].lane == 0);
		CHECK(r.bars[4].inst == 1 && r.bars[4].restored &&
		      r.bars[4].start_ns == T0 + 20 * SEC);
	}
	report_gantt_svg(&b, &r);
	CHECK(strstr(b.data, "data-inst=\"b[k=1]\" data-how=\"restored\""));
	CHECK(strstr(b.data, "data-inst=\"c\" data-how=\"failed\""));
	/* The graph: a in column 0, b (x2) in 1, c in 2 after both. */
	buf_truncate(&b, 0);
	report_dag_svg(&b, &r);
	CHECK(strstr(b.data, "data-stage=\"b\" data-state=\"restorable\">"
			     "<title>b: 2 instances</title>"));
	CHECK(strstr(b.data, ">b \xc3\x97" "2</text><text x=\"286\" y=\"45\">"
			     "1 up to date, 1 restorable</text>"));
	CHECK(strstr(b.data, "data-stage=\"c\" data-state=\"failed\">"
			     "<title>c: 1 instance</title><rect x=\"546\""));
	/* a -> c passes b's column in the gap below the row. */
	CHECK(strstr(b.data, "<path class=\"edge\" d=\"M208,32C243,32 "
			     "243,64 278,64L476,64C511,64 511,32 546,32\""));
	buf_truncate(&b, 0);
	report_html(&b, &r);
	CHECK(strstr(b.data, "0 ran") == NULL);
	CHECK(strstr(b.data, "3 ran, 1 restored, 1 failed, in 2 slots."));
	report_release(&r);
	buf_release(&b);
	store_close(s);
	graph_free(g);
}

int main(void)
{
	char dir[] = "/tmp/cairn-report-XXXXXX";

	test_svg();
	if (!mkdtemp(dir))
		return 1;
	test_report(dir);
	remove_tree(dir);
	return check_done("report");
}
