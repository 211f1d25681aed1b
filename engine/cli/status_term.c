#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "graph.h"
#include "json.h"
#include "run_json.h"
#include "status_term.h"
#include "utf8.h"
#include "util.h"
#include "why.h"

static const char *const word[] = {
	[RUN_UPTODATE] = "ok",
	[RUN_WOULD_RESTORE] = "restore",
	[RUN_WOULD_RUN] = "run",
	[RUN_PENDING] = "pending",
};

static const char *const says[] = {
	[RUN_UPTODATE] = "up to date",
	[RUN_WOULD_RESTORE] = "restorable",
	[RUN_WOULD_RUN] = "to run",
	[RUN_PENDING] = "pending",
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A duration as the scrollback shows it: 0.4s, 12.3s, 3m05s, 2h07m. */
static void duration(struct buf *b, double s)
{
	long sec = (long)(s + 0.5);

	if (s < 60)
		buf_addf(b, "%.1fs", s);
	else if (sec < 3600)
		buf_addf(b, "%ldm%02lds", sec / 60, sec % 60);
	else
		buf_addf(b, "%ldh%02ldm", sec / 3600, sec % 3600 / 60);
}

/* The terminal's width: $COLUMNS (as ls takes it), else the tty's, else
 * 80. */
static size_t columns(void)
{
	const char *c = getenv("COLUMNS");
	struct winsize ws;
	char *end;
	long n;

	if (c && *c && (n = strtol(c, &end, 10)) > 0 && !*end && n < 100000)
		return (size_t)n;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static size_t width_of(const struct buf *b)
{
	return utf8_count(b->data, b->len);
}

/* b cut to at most width characters (whole UTF-8 sequences). */
static void cut(struct buf *b, size_t width)
{
	size_t i = 0, n = 0;

	while (i < b->len && n < width) {
		i++;
		while (i < b->len && ((unsigned char)b->data[i] & 0xc0) == 0x80)
			i++;
		n++;
	}
	buf_truncate(b, i);
}

void status_term_line(struct buf *out, const struct run_progress *p,
		      const struct status_running *running, size_t n,
		      const char *what, const struct graph_inst *in,
		      size_t width)
{
	struct buf names = BUF_INIT;
	size_t head, m, k;

	buf_truncate(out, 0);
	buf_addf(out, "[%zu/%zu restored %zu", p->settled, p->total,
		 p->restored);
	if (p->eta_s >= 0) {
		int sec = (int)p->eta_s;
		buf_addf(out, ", ETA %dm%02ds", sec / 60, sec % 60);
	}
	buf_adds(out, "] ");
	if (!n) {
		if (what)
			buf_addf(out, "%s %s", what, in->name);
		cut(out, width);
		return;
	}
	buf_addf(out, "%zu running: ", n);
	head = out->len;
	/* As many names as fit, in the order they started, then "+K". */
	for (m = n + 1; m-- > 0;) {
		buf_truncate(&names, 0);
		for (k = 0; k < m; k++)
			buf_addf(&names, "%s%s", k ? ", " : "",
				 running[k].in->name);
		if (m < n)
			buf_addf(&names, "%s+%zu", m ? ", " : "", n - m);
		if (width_of(out) + width_of(&names) <= width || !m)
			break;
	}
	buf_truncate(out, head);
	buf_add(out, names.data, names.len);
	cut(out, width);
	buf_release(&names);
}

static void clear_line(struct status_term *s)
{
	if (s->line) {
		printf("\r\033[K");
		fflush(stdout);
		s->line = 0;
	}
}

static void draw(struct status_term *s)
{
	struct buf b = BUF_INIT;
	size_t w = columns();

	if (!s->live || !s->last.total)
		return;
	/* One column short: a line that fills the last one wraps on
	 * some terminals, and \r then returns to the wrong row. */
	status_term_line(&b, &s->last, s->running, s->nrunning, s->last_what,
			 s->last_in, w > 1 ? w - 1 : 1);
	printf("\r\033[K%s", b.data);
	fflush(stdout);
	s->line = 1;
	buf_release(&b);
}

/* Forget in from what runs; how long it ran (by this clock), or -1. */
static double stopped(struct status_term *s, const struct graph_inst *in)
{
	size_t k;
	double secs;

	for (k = 0; k < s->nrunning && s->running[k].in != in; k++)
		;
	if (k == s->nrunning)
		return -1;
	secs = (double)(now_ns() - s->running[k].since_ns) / 1e9;
	memmove(&s->running[k], &s->running[k + 1],
		(s->nrunning - k - 1) * sizeof(*s->running));
	s->nrunning--;
	return secs;
}

/* A failure the run's progress did not come with: the line counts it. */
static void settled(struct status_term *s, const char *what,
		    const struct graph_inst *in)
{
	s->last.settled++;
	s->last.running = s->nrunning;
	s->last_what = what;
	s->last_in = in;
}

/* A line that stays: "done       a  (1.2s)" (secs < 0: no time). */
static void record(struct status_term *s, const char *what,
		   const struct graph_inst *in, double secs)
{
	struct buf b = BUF_INIT;

	clear_line(s);
	buf_addf(&b, "%-10s %s", what, in->name);
	if (secs >= 0) {
		buf_adds(&b, "  (");
		duration(&b, secs);
		buf_addc(&b, ')');
	}
	printf("%s\n", b.data);
	fflush(stdout);
	buf_release(&b);
}

/* One instance's line: what happened to it (or in the table, what
 * would); secs: how long it took, for the line a finished one leaves
 * (< 0: none). */
static void show(struct status_term *s, const char *what,
		 const struct graph_inst *in, const char *why,
		 const struct run_progress *p, double secs)
{
	if (s->t.quiet || s->json)
		return;
	if (s->table) {
		printf("%-11s %s", what, in->name);
		if (why)
			printf("  (%s)", why);
		putchar('\n');
		return;
	}
	if (s->live) {
		s->last = *p;
		s->last_what = what;
		s->last_in = in;
		draw(s);
		return;
	}
	/* Not a terminal (a CI log, a pipe): a line a step, the time of
	 * each that finished as the terminal's scrollback has it. */
	record(s, what, in, secs);
}

static void on_decided(void *ctx, const struct graph_inst *in,
		       enum run_verdict v, const char *why,
		       const struct run_progress *p)
{
	struct status_term *s = ctx;

	if (s->table)
		show(s, says[v], in, v == RUN_UPTODATE ? NULL : why, p, -1);
	else
		show(s, word[v], in, NULL, p, -1);
}

static void on_restored(void *ctx, const struct graph_inst *in,
			const struct run_progress *p)
{
	struct status_term *s = ctx;

	if (s->live && !s->t.quiet && !s->json)
		record(s, "restored", in, p->secs);
	show(s, "restored", in, NULL, p, p->secs);
}

static void on_started(void *ctx, const struct graph_inst *in, int adopted,
		       const struct run_progress *p)
{
	struct status_term *s = ctx;

	if (s->live) {
		xgrow((void **)&s->running, &s->cap, s->nrunning + 1,
		      sizeof(*s->running));
		s->running[s->nrunning].in = in;
		s->running[s->nrunning++].since_ns = now_ns();
	}
	show(s, adopted ? "adopted" : "running", in, NULL, p, -1);
}

static void on_finished(void *ctx, const struct graph_inst *in,
			const struct run_progress *p)
{
	struct status_term *s = ctx;

	if (s->live && !s->t.quiet && !s->json) {
		stopped(s, in);
		record(s, "done", in, p->secs);
	}
	show(s, "done", in, NULL, p, p->secs);
}

/* The last 10 lines of a failed stage's log, on stderr. */
static void show_tail(const char *log)
{
	FILE *f = fopen(log, "re");
	char *lines[10] = { 0 }, line[512];
	int n = 0, k;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		free(lines[n % 10]);
		lines[n % 10] = xstrdup(line);
		n++;
	}
	fclose(f);
	for (k = n > 10 ? n - 10 : 0; k < n; k++) {
		fprintf(stderr, "  | %s", lines[k % 10]);
		if (!strchr(lines[k % 10], '\n'))
			fputc('\n', stderr);
	}
	for (k = 0; k < 10; k++)
		free(lines[k]);
}

static void on_failed(void *ctx, const struct graph_inst *in,
		      const char *why, const char *log)
{
	struct status_term *s = ctx;

	if (s->live) {
		double secs = stopped(s, in);
		if (!s->t.quiet && !s->json)
			record(s, "failed", in, secs);
		settled(s, "failed", in);
	}
	term_error(&s->t, "'%s' %s (log: %s)", in->name, why, log);
	show_tail(log);
	draw(s);
}

static void on_dropped(void *ctx, const struct graph_inst *in, double secs)
{
	struct status_term *s = ctx;

	if (!s->live)
		return;
	stopped(s, in);
	if (!s->t.quiet && !s->json)
		record(s, "failed", in, secs);
	settled(s, "failed", in);
}

static void on_warning(void *ctx, const char *msg)
{
	struct status_term *s = ctx;

	if (s->t.quiet)
		return;
	clear_line(s);
	term_warning(&s->t, "%s", msg);
	draw(s);
}

static void on_error(void *ctx, const char *msg)
{
	struct status_term *s = ctx;

	clear_line(s);
	term_error(&s->t, "%s", msg);
	draw(s);
}

static void on_hint(void *ctx, const char *msg)
{
	struct status_term *s = ctx;

	clear_line(s);
	term_hint(&s->t, "%s", msg);
	draw(s);
}

static void on_outcome(void *ctx, const struct run_outcome *o)
{
	struct status_term *s = ctx;

	if (s->json)
		run_json_outcome(s->json, o);
}

static void on_edited(void *ctx, const struct run_edit *e)
{
	struct status_term *s = ctx;

	if (s->json) {
		run_json_edited(s->json, e);
	} else if (s->table && !e->kept) {
		xgrow((void **)&s->edits, &s->capedits, s->nedits + 1,
		      sizeof(*s->edits));
		s->edits[s->nedits].in = e->in;
		s->edits[s->nedits++].path = e->path;
	}
}

size_t status_term_edited(const struct status_term *s, const char *instance,
			  struct buf *why, struct buf *json)
{
	const char **paths = xcalloc(s->nedits + 1, sizeof(*paths));
	size_t i, n = 0;

	for (i = 0; i < s->nedits; i++)
		if (!strcmp(s->edits[i].in->name, instance))
			paths[n++] = s->edits[i].path;
	if (n && why)
		why_edited(why, instance, paths, n);
	if (json) {
		buf_addc(json, '[');
		for (i = 0; i < n; i++) {
			if (i)
				buf_adds(json, ", ");
			json_string(json, paths[i], strlen(paths[i]));
		}
		buf_addc(json, ']');
	}
	free(paths);
	return n;
}

static void on_ended(void *ctx)
{
	struct status_term *s = ctx;

	clear_line(s);
	s->live = 0;
}

void status_term_init(struct status_term *s, const struct term *t,
		      int dry_run, int table)
{
	const char *term = getenv("TERM");

	memset(s, 0, sizeof(*s));
	s->t = *t;
	s->table = table;
	s->live = isatty(STDOUT_FILENO) && !t->verbose && !t->quiet &&
		  !dry_run && !table && term && strcmp(term, "dumb");
	s->status.decided = on_decided;
	s->status.restored = on_restored;
	s->status.started = on_started;
	s->status.finished = on_finished;
	s->status.failed = on_failed;
	s->status.warning = on_warning;
	s->status.error = on_error;
	s->status.hint = on_hint;
	s->status.outcome = on_outcome;
	s->status.edited = on_edited;
	s->status.dropped = on_dropped;
	s->status.ended = on_ended;
	s->status.eta = s->live;
	s->status.ctx = s;
}

void status_term_json(struct status_term *s, struct run_json *j)
{
	s->json = j;
	s->live = 0;
	s->status.eta = 0;
}

void status_term_release(struct status_term *s)
{
	free(s->running);
	s->running = NULL;
	s->nrunning = s->cap = 0;
	free(s->edits);
	s->edits = NULL;
	s->nedits = s->capedits = 0;
}
