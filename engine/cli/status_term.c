#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph.h"
#include "status_term.h"
#include "util.h"

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

/* One instance's line: what happened to it (or in the table, what
 * would). */
static void show(struct status_term *s, const char *what,
		 const struct graph_inst *in, const char *why,
		 const struct run_progress *p)
{
	if (s->t.quiet)
		return;
	if (s->table) {
		printf("%-11s %s", what, in->name);
		if (why)
			printf("  (%s)", why);
		putchar('\n');
		return;
	}
	if (s->live) {
		/* One updating line, like ninja's. */
		char eta[32] = "";

		if (p->eta_s >= 0) {
			int sec = (int)p->eta_s;
			snprintf(eta, sizeof(eta), " ETA %dm%02ds", sec / 60,
				 sec % 60);
		}
		printf("\r\033[K[%zu/%zu restored %zu, running %zu%s] %s %s",
		       p->settled, p->total, p->restored, p->running, eta, what,
		       in->name);
		fflush(stdout);
		s->line = 1;
		return;
	}
	printf("%-10s %s\n", what, in->name);
	fflush(stdout);
}

static void on_decided(void *ctx, const struct graph_inst *in,
		       enum run_verdict v, const char *why,
		       const struct run_progress *p)
{
	struct status_term *s = ctx;

	if (s->table)
		show(s, says[v], in, v == RUN_UPTODATE ? NULL : why, p);
	else
		show(s, word[v], in, NULL, p);
}

static void on_restored(void *ctx, const struct graph_inst *in,
			const struct run_progress *p)
{
	show(ctx, "restored", in, NULL, p);
}

static void on_started(void *ctx, const struct graph_inst *in, int adopted,
		       const struct run_progress *p)
{
	show(ctx, adopted ? "adopted" : "running", in, NULL, p);
}

static void on_finished(void *ctx, const struct graph_inst *in,
			const struct run_progress *p)
{
	show(ctx, "done", in, NULL, p);
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

	if (s->line) {
		/* Keep the progress line; the error goes below it. */
		putchar('\n');
		fflush(stdout);
		s->line = 0;
	}
	term_error(&s->t, "'%s' %s (log: %s)", in->name, why, log);
	show_tail(log);
}

static void on_warning(void *ctx, const char *msg)
{
	struct status_term *s = ctx;

	term_warning(&s->t, "%s", msg);
}

static void on_error(void *ctx, const char *msg)
{
	struct status_term *s = ctx;

	term_error(&s->t, "%s", msg);
}

static void on_ended(void *ctx)
{
	struct status_term *s = ctx;

	if (s->line) {
		printf("\r\033[K");
		fflush(stdout);
		s->line = 0;
	}
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
	s->status.ended = on_ended;
	s->status.eta = s->live;
	s->status.ctx = s;
}
