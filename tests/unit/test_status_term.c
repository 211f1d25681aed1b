/*
 * The run's updating line (engine/cli/status_term.c): every running
 * instance named in the order it started, "+K" for those the width has
 * no room for, never wider than the terminal; the last event when
 * nothing runs.
 */
#include "buf.h"
#include "check.h"
#include "graph.h"
#include "status_term.h"

static struct graph_inst insts[4];
static struct status_running running[4];

static const char *line(const struct run_progress *p, size_t n,
			size_t width)
{
	static struct buf b = BUF_INIT;

	status_term_line(&b, p, running, n, "done", &insts[0], width);
	return b.data;
}

int main(void)
{
	static char names[4][16] = { "alpha", "train[k=b]", "gamma",
				     "d\xc3\xa9j\xc3\xa0" };
	struct run_progress p = { 3, 10, 1, 3, -1, 0 };
	size_t k;

	for (k = 0; k < 4; k++) {
		insts[k].name = names[k];
		running[k].in = &insts[k];
	}
	CHECK_STR(line(&p, 3, 79),
		  "[3/10 restored 1] 3 running: alpha, train[k=b], gamma");
	CHECK_STR(line(&p, 3, 53),
		  "[3/10 restored 1] 3 running: alpha, train[k=b], gamma");
	/* Too narrow for all: as many as fit, then how many more. */
	CHECK_STR(line(&p, 3, 52),
		  "[3/10 restored 1] 3 running: alpha, train[k=b], +1");
	CHECK_STR(line(&p, 3, 49), "[3/10 restored 1] 3 running: alpha, +2");
	CHECK_STR(line(&p, 3, 38), "[3/10 restored 1] 3 running: alpha, +2");
	CHECK_STR(line(&p, 3, 37), "[3/10 restored 1] 3 running: +3");
	/* Not even that: cut, never wider. */
	CHECK_STR(line(&p, 3, 20), "[3/10 restored 1] 3 ");
	/* Characters, not bytes: "d\xc3\xa9j\xc3\xa0" is 4 wide. */
	p.running = 4;
	CHECK_STR(line(&p, 4, 59),
		  "[3/10 restored 1] 4 running: alpha, train[k=b], gamma, "
		  "d\xc3\xa9j\xc3\xa0");
	CHECK_STR(line(&p, 4, 58),
		  "[3/10 restored 1] 4 running: alpha, train[k=b], gamma, +1");
	/* The ETA, and the last event when nothing runs. */
	p.eta_s = 185;
	CHECK_STR(line(&p, 0, 79), "[3/10 restored 1, ETA 3m05s] done alpha");
	CHECK_STR(line(&p, 0, 10), "[3/10 rest");
	return check_done("test_status_term");
}
