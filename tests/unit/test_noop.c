/*
 * The no-op proof (noop.c): what one records holds while nothing it names
 * changes, and stops holding when a file, an env variable in a key or the
 * context does; the instance names come back in the order given.  A proof
 * cut short or with any byte changed is no proof; one whose bytes are
 * changed and its checksum made to match again is read without reading
 * outside it (the sanitizers watch), and never crashes the check.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "digest.h"
#include "err.h"
#include "graph.h"
#include "noop.h"
#include "util.h"

static char dir[] = "/tmp/cairn-test-noop-XXXXXX";

static void put(const char *name, const char *text)
{
	struct buf p = BUF_INIT;
	FILE *f;

	buf_addf(&p, "%s/%s", dir, name);
	f = fopen(p.data, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	buf_release(&p);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct seen {
	struct buf b;
	size_t n;
};

static void collect(const char *name, size_t i, size_t n, void *ctx)
{
	struct seen *s = ctx;

	buf_addf(&s->b, "%zu/%zu %s;", i, n, name);
	s->n++;
}

static int holds(const char *path, const char *context)
{
	struct noop_proof p;
	size_t checked;
	int ok;

	if (noop_load(path, &p) < 0)
		return -1;
	ok = noop_holds(&p, context, &checked);
	noop_release(&p);
	return ok;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0 && fstat(fd, &st) == 0);
	b = xmalloc((size_t)st.st_size + 1);
	CHECK(read(fd, b, (size_t)st.st_size) == st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);

	CHECK(fd >= 0 && write(fd, b, len) == (ssize_t)len);
	close(fd);
}

/* Every byte of the proof changed in turn: with the checksum left as it
 * was, never loaded; made to match again, loaded or not, and checked
 * without harm. */
static void damaged(const char *path, const char *context)
{
	size_t len, i, at;
	unsigned char *good = slurp(path, &len), *b = xmalloc(len);
	static const unsigned char vals[] = { 0x00, 0x01, 0x7f, 0xff };
	int loaded = 0;

	for (at = 0; at < len; at++) {
		for (i = 0; i < sizeof(vals); i++) {
			struct noop_proof p;
			struct seen s = { BUF_INIT, 0 };
			struct digest sum;
			size_t checked;

			memcpy(b, good, len);
			if (b[at] == vals[i])
				continue;
			b[at] = vals[i];
			spit(path, b, len);
			CHECK(noop_load(path, &p) < 0);
			if (at >= len - DIGEST_LEN)
				continue;
			sha256(b, len - DIGEST_LEN, &sum);
			memcpy(b + len - DIGEST_LEN, sum.b, DIGEST_LEN);
			spit(path, b, len);
			if (noop_load(path, &p) < 0)
				continue;
			loaded++;
			(void)noop_holds(&p, context, &checked);
			noop_names(&p, collect, &s);
			CHECK(s.n == p.nnames);
			buf_release(&s.b);
			noop_release(&p);
		}
	}
	CHECK(loaded > 0);	/* the check above ran on some */
	for (len--; len > 0; len -= len > 64 ? 7 : 1) {
		spit(path, good, len);
		CHECK(holds(path, context) == -1);
	}
	spit(path, good, 0);
	CHECK(holds(path, context) == -1);
	free(good);
	free(b);
}

/* More paths than one batch of stats (16,384): a change in the last
 * batch is seen too.  Code files f/N and z.txt, which sorts last. */
static void many(struct noop_record *r)
{
	struct buf gf = BUF_INIT, toml = BUF_INIT, pf = BUF_INIT;
	struct filestat gst;
	struct graph *g;
	struct stat st;
	struct err err;
	const char *why;
	int i;

	buf_addf(&gf, "%s/f", dir);
	CHECK(mkdir(gf.data, 0777) == 0);
	buf_adds(&toml, "[stage.m]\ncmd = \"true\"\nouts = { o = \"o/x.txt\" }\n"
			"code = [\"z.txt\"");
	for (i = 0; i < 17000; i++) {
		buf_truncate(&gf, 0);
		buf_addf(&gf, "f/%d", i);
		put(gf.data, "");
		buf_addf(&toml, ", \"f/%d\"", i);
	}
	buf_adds(&toml, "]\n");
	put("z.txt", "z");
	put("many.toml", toml.data);
	buf_truncate(&gf, 0);
	buf_addf(&gf, "%s/many.toml", dir);
	CHECK(stat(gf.data, &st) == 0);
	filestat_from(&st, &gst);
	CHECK(graph_load(gf.data, NULL, 0, &g, &err) == 0);
	noop_path(gf.data, &pf);
	r->graph_abs = gf.data;
	r->graph_st = &gst;
	r->since_ns = now_ns() + 10 * 1000000000LL;
	CHECK_INT(noop_record(pf.data, g, r, &why), 0);
	CHECK_INT(holds(pf.data, "exe 1\n"), 1);
	put("z.txt", "y");
	CHECK_INT(holds(pf.data, "exe 1\n"), 0);
	graph_free(g);
	buf_release(&gf);
	buf_release(&toml);
	buf_release(&pf);
}

int main(void)
{
	struct buf gf = BUF_INIT, lf = BUF_INIT, pf = BUF_INIT, in = BUF_INIT;
	struct filestat gst, lst;
	struct noop_record r;
	struct noop_proof p;
	struct graph *g;
	struct stat st;
	struct err err;
	struct seen s = { BUF_INIT, 0 };
	const char *why, *names[] = { "b", "a" };

	CHECK(mkdtemp(dir) != NULL);
	buf_addf(&gf, "%s/o", dir);
	CHECK(mkdir(gf.data, 0777) == 0);
	put("in.txt", "1\n");
	put("o/x.txt", "x\n");
	put("o/y.txt", "y\n");
	put("cairn.lock", "version = 1\n");
	put("cairn.toml", "[stage.a]\ncmd = \"true\"\n"
			  "deps = { i = \"in.txt\" }\n"
			  "outs = { o = \"o/x.txt\" }\n"
			  "env = [\"CAIRN_TEST_NOOP\"]\n"
			  "[stage.b]\ncmd = \"true\"\n"
			  "deps = { i = \"${stage.a.outs.o}\" }\n"
			  "outs = { o = \"o/y.txt\" }\n");
	setenv("CAIRN_TEST_NOOP", "1", 1);
	buf_truncate(&gf, 0);
	buf_addf(&gf, "%s/cairn.toml", dir);
	buf_addf(&lf, "%s/cairn.lock", dir);
	buf_addf(&in, "%s/in.txt", dir);
	noop_path(gf.data, &pf);
	CHECK_STR(pf.data + strlen(dir), "/.cairn/noop-cairn.toml");
	buf_truncate(&pf, 0);
	buf_addf(&pf, "%s/.cairn", dir);
	CHECK(mkdir(pf.data, 0777) == 0);
	noop_path(gf.data, &pf);

	CHECK(stat(gf.data, &st) == 0);
	filestat_from(&st, &gst);
	CHECK(stat(lf.data, &st) == 0);
	filestat_from(&st, &lst);
	CHECK(graph_load(gf.data, NULL, 0, &g, &err) == 0);
	r.context = "exe 1\n";
	r.graph_abs = gf.data;
	r.lock_abs = lf.data;
	r.graph_st = &gst;
	r.lock_st = &lst;
	r.names = names;
	r.nnames = 2;

	/* Written within the racy second of its files: none. */
	r.since_ns = now_ns();
	CHECK_INT(noop_record(pf.data, g, &r, &why), 1);
	CHECK_STR(why, "a path changed less than a second before the run");
	CHECK(access(pf.data, F_OK) < 0);
	r.since_ns = now_ns() + 10 * 1000000000LL;
	CHECK_INT(noop_record(pf.data, g, &r, &why), 0);

	CHECK_INT(holds(pf.data, "exe 1\n"), 1);
	CHECK_INT(holds(pf.data, "exe 2\n"), 0);
	CHECK(noop_load(pf.data, &p) == 0);
	CHECK_STR(p.workspace, dir);
	CHECK_INT(p.nenv, 1);
	/* The graph, the lock file, in.txt, o, o/x.txt, o/y.txt. */
	CHECK_INT(p.npaths, 6);
	noop_names(&p, collect, &s);
	CHECK_STR(s.b.data, "0/2 b;1/2 a;");
	noop_release(&p);

	/* The env variable in a's key. */
	setenv("CAIRN_TEST_NOOP", "2", 1);
	CHECK_INT(holds(pf.data, "exe 1\n"), 0);
	unsetenv("CAIRN_TEST_NOOP");
	CHECK_INT(holds(pf.data, "exe 1\n"), 0);
	setenv("CAIRN_TEST_NOOP", "1", 1);
	CHECK_INT(holds(pf.data, "exe 1\n"), 1);

	damaged(pf.data, "exe 1\n");

	/* A file written again with the same bytes: a new ctime. */
	CHECK_INT(noop_record(pf.data, g, &r, &why), 0);
	CHECK_INT(holds(pf.data, "exe 1\n"), 1);
	put("in.txt", "1\n");
	CHECK_INT(holds(pf.data, "exe 1\n"), 0);
	/* ... which a record from the loaded graph now refuses. */
	CHECK_INT(noop_record(pf.data, g, &r, &why), 1);
	CHECK_STR(why, "a path changed while the run looked");

	/* A run that works forgets every proof of the workspace. */
	put(".cairn/noop-other.toml", "x");
	noop_forget(pf.data, dir);
	CHECK(access(pf.data, F_OK) < 0);
	buf_truncate(&pf, 0);
	buf_addf(&pf, "%s/.cairn/noop-other.toml", dir);
	CHECK(access(pf.data, F_OK) < 0);

	graph_free(g);
	many(&r);
	buf_release(&gf);
	buf_release(&lf);
	buf_release(&pf);
	buf_release(&in);
	buf_release(&s.b);
	remove_tree(dir);
	return check_done("noop");
}
