/*
 * The remote cache's transport (engine/remote/http.c) against a real
 * nginx (the 'nginx' fixture, tests/fixtures/nginx/up.sh, whose state
 * folder is argv[1]): PUT, HEAD and GET round trips from and into buffers
 * and file regions, small and of a few MiB; 404; 100 requests in one
 * batch; the read-only location's 403 and the small one's 413, neither
 * retried; 500 retried with its backoff, then failed; a closed port
 * (connection refused, retried, the rest of the batch not tried); a body
 * over the caller's limit; a full disk; a file that shrank under a PUT; a
 * stop asked by the progress function; 64 MiB each way with the memory
 * bounded.  Then a fake server forked here for what nginx will not do: a
 * body cut short, a server that never answers, an answer that is not
 * HTTP, and the credentials sent from the environment.  Skipped (77) when
 * the fixture started no nginx.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "http.h"
#include "util.h"

static char base[512];
static char tmpdir[] = "/tmp/cairn-test-http-XXXXXX";

static long ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A client for url, named name, quick to give up. */
static struct http *client(const char *name, const char *url)
{
	struct http_options o;
	struct http *h = NULL;
	struct err err;

	http_options_init(&o);
	o.name = name;
	o.url = url;
	o.retries = 2;
	o.backoff_ms = 20;
	o.backoff_max_ms = 40;
	o.low_speed_secs = 2;
	if (http_open(&o, &h, &err)) {
		fprintf(stderr, "http_open: %s\n", err.msg);
		exit(1);
	}
	return h;
}

/* A client for the fixture's location loc, in a folder of this test's
 * (other tests share the server). */
static struct http *at(const char *name, const char *loc)
{
	char url[600];

	snprintf(url, sizeof(url), "%s/%s/unit-http", base, loc);
	return client(name, url);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

/* A temporary file holding n bytes; its descriptor, open for reading and
 * writing. */
static int temp_file(const char *name, const void *data, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n)) {
		perror(path);
		exit(1);
	}
	return fd;
}

static void test_round_trip(void)
{
	struct http *h = at("test", "cache");
	struct http_batch *b = http_batch_new(h);
	struct buf got = BUF_INIT, got2 = BUF_INIT;
	const struct http_result *r;
	size_t n = 5u << 20, off = 1000, i;
	unsigned char *big = xmalloc(n), *back = xmalloc(n + off);
	struct err err;
	int fd, out;

	CHECK_STR(http_name(h), "test");
	fill(big, n, 1);
	/* The big one from the middle of a file: bytes around it are not
	 * sent. */
	fd = temp_file("src", "x", 1);
	CHECK(pwrite(fd, big, n, (off_t)off) == (ssize_t)n);
	CHECK(pwrite(fd, "tail", 4, (off_t)(off + n)) == 4);
	i = http_batch_put(b, "rt/small", "hello", 5, &got);
	CHECK_INT(i, 0);
	CHECK_INT(http_batch_put_fd(b, "rt/big", fd, (off_t)off, n, NULL), 1);
	CHECK_INT(http_batch_put(b, "rt/deep/er/path/3m", big, 3u << 20, NULL),
		  2);
	CHECK_INT(http_batch_put(b, "rt/empty", "", 0, NULL), 3);
	CHECK_INT(http_batch_count(b), 4);
	r = http_batch_result(b, 0);
	CHECK_INT(r->tries, 0);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	for (i = 0; i < 4; i++) {
		r = http_batch_result(b, i);
		CHECK_INT(r->rc, 0);
		CHECK(r->status == 201 || r->status == 204);
		CHECK_INT(r->tries, 1);
		CHECK(r->msg == NULL);
	}
	CHECK(http_batch_result(b, 0)->ctx == &got);
	CHECK_INT(http_batch_result(b, 0)->bytes, 5);
	CHECK_INT(http_batch_result(b, 1)->bytes, n);
	http_batch_free(b);

	/* Back: HEAD, into buffers, into a file region. */
	b = http_batch_new(h);
	out = temp_file("dst", "prefix", 6);
	http_batch_head(b, "rt/big", NULL);
	http_batch_get(b, "rt/small", &got, 0, NULL);
	http_batch_get_fd(b, "rt/big", out, 6, 0, NULL);
	http_batch_get(b, "rt/deep/er/path/3m", &got2, 3u << 20, NULL);
	http_batch_head(b, "rt/empty", NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	r = http_batch_result(b, 0);
	CHECK_INT(r->rc, 0);
	CHECK_INT(r->status, 200);
	CHECK_INT(r->length, n);
	CHECK_INT(r->bytes, 0);
	CHECK_INT(http_batch_result(b, 1)->rc, 0);
	CHECK_INT(http_batch_result(b, 1)->length, 5);
	CHECK_INT(got.len, 5);
	CHECK(got.len == 5 && !memcmp(got.data, "hello", 5));
	CHECK_INT(http_batch_result(b, 2)->rc, 0);
	CHECK_INT(http_batch_result(b, 2)->bytes, n);
	CHECK_INT(lseek(out, 0, SEEK_END), n + 6);
	CHECK(pread(out, back, n + 6, 0) == (ssize_t)(n + 6));
	CHECK(!memcmp(back, "prefix", 6) && !memcmp(back + 6, big, n));
	CHECK_INT(got2.len, 3u << 20);
	CHECK(got2.len == 3u << 20 && !memcmp(got2.data, big, got2.len));
	CHECK_INT(http_batch_result(b, 4)->rc, 0);
	CHECK_INT(http_batch_result(b, 4)->length, 0);
	http_batch_free(b);

	/* A second GET into the same file replaces what the first wrote
	 * (the file is cut at the offset first). */
	b = http_batch_new(h);
	http_batch_get_fd(b, "rt/small", out, 6, 0, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	CHECK_INT(lseek(out, 0, SEEK_END), 11);
	CHECK(pread(out, back, 11, 0) == 11 && !memcmp(back, "prefixhello", 11));
	http_batch_free(b);

	close(fd);
	close(out);
	free(big);
	free(back);
	buf_release(&got);
	buf_release(&got2);
	http_close(h);
}

static void test_missing(void)
{
	struct http *h = at("test", "cache");
	struct http_batch *b = http_batch_new(h);
	struct buf got = BUF_INIT;
	const struct http_result *r;
	struct err err;

	buf_adds(&got, "stale");
	http_batch_head(b, "rt/missing", NULL);
	http_batch_get(b, "cas/0000missing", &got, 0, NULL);
	/* 404s are answers, not failures: the run succeeds. */
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	r = http_batch_result(b, 0);
	CHECK_INT(r->rc, HTTP_NOTFOUND);
	CHECK_INT(r->status, 404);
	CHECK_INT(r->tries, 1);
	CHECK_STR(r->msg, "remote 'test': HEAD 'rt/missing': the server "
		  "answered 404 (not found)");
	r = http_batch_result(b, 1);
	CHECK_INT(r->rc, HTTP_NOTFOUND);
	CHECK_STR(r->msg, "remote 'test': GET 'cas/0000missing': the server "
		  "answered 404 (not found)");
	/* nginx's error page never reaches the buffer. */
	CHECK_INT(got.len, 0);
	CHECK_STR(http_strerror(HTTP_NOTFOUND), "not found on the remote");
	http_batch_free(b);
	buf_release(&got);
	http_close(h);
}

struct count {
	size_t ended, ticks, max_done;
	unsigned char seen[100];
	int stop_after;
};

static int progress(const struct http_progress *p, void *ctx)
{
	struct count *c = ctx;

	if (p->last == SIZE_MAX) {
		c->ticks++;
		return 0;
	}
	c->ended++;
	if (p->last < 100)
		c->seen[p->last]++;
	if (p->done > c->max_done)
		c->max_done = p->done;
	return c->stop_after && (int)c->ended >= c->stop_after;
}

static void test_many(void)
{
	struct http *h = at("test", "cache");
	struct http_batch *b = http_batch_new(h);
	static unsigned char data[100][300];
	struct count c = { 0 };
	struct err err;
	char path[64];
	size_t i, ok = 0, seen = 0;
	long t0;

	for (i = 0; i < 100; i++) {
		fill(data[i], sizeof(data[i]), (unsigned)i + 7);
		snprintf(path, sizeof(path), "many/%02zx/%zu", i % 16, i);
		http_batch_put(b, path, data[i], 100 + i, (void *)i);
	}
	t0 = ms();
	CHECK_INT(http_batch_run(b, progress, &c, &err), 0);
	for (i = 0; i < 100; i++) {
		const struct http_result *r = http_batch_result(b, i);

		ok += r->rc == 0 && r->bytes == 100 + i && r->ctx == (void *)i;
		seen += c.seen[i] == 1;
	}
	CHECK_INT(ok, 100);
	CHECK_INT(c.ended, 100);
	CHECK_INT(seen, 100);
	CHECK_INT(c.max_done, 100);
	http_batch_free(b);

	/* HEADs of them all, and of 20 that are not there, in one batch. */
	b = http_batch_new(h);
	for (i = 0; i < 120; i++) {
		snprintf(path, sizeof(path), "many/%02zx/%zu", i % 16, i);
		http_batch_head(b, path, NULL);
	}
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	for (ok = 0, i = 0; i < 120; i++) {
		const struct http_result *r = http_batch_result(b, i);

		if (i < 100)
			ok += r->rc == 0 && r->length == (int64_t)(100 + i);
		else
			ok += r->rc == HTTP_NOTFOUND;
	}
	CHECK_INT(ok, 120);
	/* Queued after a run: only the new ones run. */
	http_batch_head(b, "many/00/0", NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	CHECK_INT(http_batch_result(b, 120)->rc, 0);
	CHECK_INT(http_batch_result(b, 0)->tries, 1);
	http_batch_free(b);
	/* Loose bound: 220 small requests on loopback take milliseconds. */
	CHECK(ms() - t0 < 20000);
	http_close(h);
}

static void test_refused_writes(void)
{
	struct http *ro = at("ro", "ro"), *small = at("small", "small");
	struct http_batch *b = http_batch_new(ro);
	static unsigned char two_k[2048];
	size_t big_n = 2u << 20;
	unsigned char *big = xcalloc(1, big_n);
	const struct http_result *r;
	struct err err;
	struct buf got = BUF_INIT;

	http_batch_put(b, "rt/refused", "no", 2, NULL);
	http_batch_get(b, "rt/small", &got, 0, NULL);
	http_batch_put(b, "rt/refused-big", big, big_n, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_DENIED);
	CHECK_STR(err.msg, "remote 'ro': PUT 'rt/refused': the server "
		  "answered 403 (forbidden) (and 1 more failed)");
	r = http_batch_result(b, 0);
	CHECK_INT(r->rc, HTTP_DENIED);
	CHECK_INT(r->status, 403);
	CHECK_INT(r->tries, 1);
	/* Reading works there. */
	CHECK_INT(http_batch_result(b, 1)->rc, 0);
	CHECK(got.len == 5 && !memcmp(got.data, "hello", 5));
	/* A large body waits for the server's go-ahead (Expect), which a
	 * refusal never gives: none of it is sent. */
	r = http_batch_result(b, 2);
	CHECK_INT(r->status, 403);
	CHECK_INT(r->bytes, 0);
	http_batch_free(b);

	b = http_batch_new(small);
	http_batch_put(b, "rt/too-big", two_k, sizeof(two_k), NULL);
	http_batch_put(b, "rt/fits", two_k, 100, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_REFUSED);
	r = http_batch_result(b, 0);
	CHECK_INT(r->status, 413);
	CHECK_INT(r->tries, 1);
	CHECK_STR(r->msg, "remote 'small': PUT 'rt/too-big': the server "
		  "answered 413 (content too large)");
	CHECK_INT(http_batch_result(b, 1)->rc, 0);
	http_batch_free(b);
	buf_release(&got);
	free(big);
	http_close(ro);
	http_close(small);
}

static void test_server_error(void)
{
	struct http *h = at("err", "err");
	struct http_batch *b = http_batch_new(h);
	const struct http_result *r;
	struct buf got = BUF_INIT;
	struct err err;
	long t0 = ms();

	http_batch_get(b, "cas/x", &got, 0, NULL);
	http_batch_put(b, "cas/y", "y", 1, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_SERVER);
	/* Two retries after 20 and 40 ms. */
	CHECK(ms() - t0 >= 60);
	r = http_batch_result(b, 0);
	CHECK_INT(r->rc, HTTP_SERVER);
	CHECK_INT(r->status, 500);
	CHECK_INT(r->tries, 3);
	CHECK_INT(got.len, 0);
	CHECK_STR(r->msg, "remote 'err': GET 'cas/x': the server answered "
		  "500 (internal server error) (3 tries)");
	CHECK_INT(http_batch_result(b, 1)->tries, 3);
	CHECK_STR(err.msg, "remote 'err': GET 'cas/x': the server answered "
		  "500 (internal server error) (3 tries) (and 1 more failed)");
	http_batch_free(b);
	buf_release(&got);
	http_close(h);
}

/* A port nothing listens on: bound, then let go. */
static int closed_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t n = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &n))
		return -1;
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static void test_refused_connection(void)
{
	struct http *h;
	struct http_batch *b;
	const struct http_result *r;
	struct err err;
	char url[64], want[256];
	int port = closed_port();

	CHECK(port > 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	h = client("down", url);
	b = http_batch_new(h);
	http_batch_head(b, "cas/x", NULL);
	http_batch_head(b, "cas/y", NULL);
	http_batch_head(b, "cas/z", NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_NETWORK);
	r = http_batch_result(b, 0);
	CHECK_INT(r->rc, HTTP_NETWORK);
	CHECK_INT(r->status, 0);
	CHECK_INT(r->tries, 3);
	snprintf(want, sizeof(want), "remote 'down': HEAD 'cas/x': cannot "
		 "connect: Failed to connect to 127.0.0.1 port %d", port);
	CHECK(r->msg && !strncmp(r->msg, want, strlen(want)));
	CHECK(r->msg && strstr(r->msg, "(3 tries)"));
	CHECK(!strstr(err.msg, "http://"));
	/* All three went out together: once the first has failed for good,
	 * one in flight is tried to its end, one waiting for a retry is not
	 * tried again. */
	r = http_batch_result(b, 2);
	CHECK_INT(r->rc, HTTP_NETWORK);
	CHECK(r->tries >= 1);
	CHECK(r->msg && (strstr(r->msg, "(3 tries)") ||
			 strstr(r->msg, "not tried again: the remote is taken "
				"for down (cannot connect")));
	CHECK(!strncmp(err.msg, want, strlen(want)));
	CHECK(strstr(err.msg, "(and 2 more failed)") != NULL);
	http_batch_free(b);
	http_close(h);

	/* With one connection the rest are not tried at all. */
	{
		struct http_options o;

		http_options_init(&o);
		o.name = "down";
		o.url = url;
		o.connections = 1;
		o.retries = 1;
		o.backoff_ms = 1;
		CHECK_INT(http_open(&o, &h, &err), 0);
	}
	b = http_batch_new(h);
	http_batch_put(b, "cas/x", "x", 1, NULL);
	http_batch_head(b, "cas/y", NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_NETWORK);
	CHECK_INT(http_batch_result(b, 0)->tries, 2);
	r = http_batch_result(b, 1);
	CHECK_INT(r->tries, 0);
	CHECK_INT(r->rc, HTTP_NETWORK);
	snprintf(want, sizeof(want), "remote 'down': HEAD 'cas/y': not tried: "
		 "the remote is taken for down (cannot connect: Failed to "
		 "connect to 127.0.0.1 port %d", port);
	CHECK(r->msg && !strncmp(r->msg, want, strlen(want)));
	http_batch_free(b);
	http_close(h);
}

static void test_limits_and_local_failures(void)
{
	struct http *h = at("test", "cache"), *g = at("g", "garbage");
	struct http_batch *b = http_batch_new(g);
	struct buf got = BUF_INIT, got2 = BUF_INIT;
	const struct http_result *r;
	struct err err;
	int full, fd;

	/* A server answering garbage for everything: the body is handed
	 * over as is (checking it is the caller's), unless too long. */
	http_batch_get(b, "cas/x", &got, 4, NULL);
	http_batch_get(b, "cas/y", &got2, 8, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_TOOBIG);
	r = http_batch_result(b, 0);
	CHECK_INT(r->rc, HTTP_TOOBIG);
	CHECK_INT(r->tries, 1);
	CHECK_STR(r->msg, "remote 'g': GET 'cas/x': the answer passes 4 bytes");
	CHECK_INT(http_batch_result(b, 1)->rc, 0);
	CHECK_STR(got2.data, "garbage\n");
	http_batch_free(b);

	/* A full disk: not retried. */
	full = open("/dev/full", O_WRONLY);
	if (full >= 0) {
		b = http_batch_new(h);
		http_batch_get_fd(b, "rt/small", full, 0, 0, NULL);
		CHECK_INT(http_batch_run(b, NULL, NULL, &err), ENOSPC);
		r = http_batch_result(b, 0);
		CHECK_INT(r->tries, 1);
		CHECK_STR(r->msg, "remote 'test': GET 'rt/small': cannot write "
			  "the file received: No space left on device");
		http_batch_free(b);
		close(full);
	}

	/* A file shorter than the region to send (it shrank). */
	fd = temp_file("short", "abc", 3);
	b = http_batch_new(h);
	http_batch_put_fd(b, "rt/short", fd, 0, 10, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), EIO);
	CHECK_STR(http_batch_result(b, 0)->msg, "remote 'test': PUT 'rt/short':"
		  " cannot read the file to send: Input/output error");
	http_batch_free(b);
	close(fd);
	buf_release(&got);
	buf_release(&got2);
	http_close(h);
	http_close(g);
}

static void test_stop(void)
{
	struct http *h = at("test", "cache");
	struct http_batch *b = http_batch_new(h);
	struct count c = { 0 };
	struct err err;
	char path[64];
	size_t i, stopped = 0, ok = 0;

	c.stop_after = 3;
	for (i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "many/%02zx/%zu", i % 16, i);
		http_batch_head(b, path, NULL);
	}
	CHECK_INT(http_batch_run(b, progress, &c, &err), HTTP_STOPPED);
	CHECK(!strncmp(err.msg, "remote 'test': stopped, ", 24));
	for (i = 0; i < 60; i++) {
		const struct http_result *r = http_batch_result(b, i);

		stopped += r->rc == HTTP_STOPPED;
		ok += r->rc == 0;
	}
	/* The function is not called again once it said stop; those that
	 * ended with the third keep their results, at most 8 in flight. */
	CHECK_INT(c.ended, 3);
	CHECK(ok >= 3 && ok <= 3 + 7);
	CHECK_INT(ok + stopped, 60);
	CHECK_STR(http_batch_result(b, 59)->msg,
		  "remote 'test': HEAD 'many/0b/59': stopped");
	http_batch_free(b);
	http_close(h);
}

/* 64 MiB up from a file and back into one: the process grows by far less
 * than that (the transfers stream).  Run first, before the other tests
 * raise the high-water mark. */
static void test_streaming(void)
{
	struct http *h = at("test", "cache");
	struct http_batch *b = http_batch_new(h);
	size_t n = 64u << 20, chunk = 1u << 20, i;
	unsigned char *block = xmalloc(chunk), *back = xmalloc(chunk);
	struct rusage before, after;
	struct err err;
	int fd = temp_file("stream-src", "", 0), out, same = 1;

	for (i = 0; i < n; i += chunk) {
		fill(block, chunk, (unsigned)(i / chunk));
		CHECK(pwrite(fd, block, chunk, (off_t)i) == (ssize_t)chunk);
	}
	getrusage(RUSAGE_SELF, &before);
	http_batch_put_fd(b, "stream/64m", fd, 0, n, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	http_batch_free(b);
	out = temp_file("stream-dst", "", 0);
	b = http_batch_new(h);
	http_batch_get_fd(b, "stream/64m", out, 0, n, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	CHECK_INT(http_batch_result(b, 0)->bytes, n);
	http_batch_free(b);
	getrusage(RUSAGE_SELF, &after);
	/* ru_maxrss is in KiB. */
	CHECK(after.ru_maxrss - before.ru_maxrss < 24 * 1024);
	for (i = 0; i < n; i += chunk) {
		fill(block, chunk, (unsigned)(i / chunk));
		if (pread(out, back, chunk, (off_t)i) != (ssize_t)chunk ||
		    memcmp(block, back, chunk))
			same = 0;
	}
	CHECK(same);
	close(fd);
	close(out);
	free(block);
	free(back);
	http_close(h);
}

static void test_bad_options(void)
{
	struct http_options o;
	struct http *h = (struct http *)&o;
	struct err err;

	http_options_init(&o);
	o.name = "x";
	o.url = "http://user:s3cret@127.0.0.1:1/c";
	CHECK_INT(http_open(&o, &h, &err), HTTP_BADARG);
	CHECK(h == NULL);
	CHECK(!strstr(err.msg, "s3cret"));
	CHECK_STR(err.msg, "remote 'x': the url holds credentials "
		  "(user:password@): put them in ~/.netrc or in an "
		  "environment variable instead");
	o.url = "ftp://user:s3cret@host/";
	CHECK_INT(http_open(&o, &h, &err), HTTP_BADARG);
	CHECK_STR(err.msg, "remote 'x': the url must start with http:// or "
		  "https://");
	o.url = "file:///tmp";
	CHECK_INT(http_open(&o, &h, &err), HTTP_BADARG);
	CHECK_STR(err.msg, "remote 'x': the url 'file:///tmp' must start with "
		  "http:// or https://");
	o.url = "http:///c";
	CHECK_INT(http_open(&o, &h, &err), HTTP_BADARG);
	o.url = "http://h/c?x=1";
	CHECK_INT(http_open(&o, &h, &err), HTTP_BADARG);
	o.url = "http://127.0.0.1:1";
	o.connections = 0;
	CHECK_INT(http_open(&o, &h, &err), HTTP_BADARG);
	o.connections = 8;
	setenv("CAIRN_TEST_HTTP_CRED", "no-colon-s3cret", 1);
	o.cred_env = "CAIRN_TEST_HTTP_CRED";
	CHECK_INT(http_open(&o, &h, &err), HTTP_BADARG);
	CHECK_STR(err.msg, "remote 'x': $CAIRN_TEST_HTTP_CRED is not "
		  "user:password");
	unsetenv("CAIRN_TEST_HTTP_CRED");
	CHECK_INT(http_open(&o, &h, &err), 0);
	http_close(h);
}

/* ---- a fake server, for what nginx will not do ---- */

enum fake { FAKE_CUT, FAKE_SILENT, FAKE_JUNK, FAKE_RECORD };

/* Serve connections on a port of 127.0.0.1 in a child, each read up to
 * the end of the request's head and answered as mode says; FAKE_RECORD
 * appends each request's head to file record.  The child's pid. */
static pid_t fake_server(enum fake mode, const char *record, int *port)
{
	struct sockaddr_in a = { 0 };
	socklen_t n = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pid_t pid;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16) ||
	    getsockname(s, (struct sockaddr *)&a, &n)) {
		perror("fake server");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	pid = fork();
	if (pid != 0) {
		close(s);
		return pid;
	}
	for (;;) {
		char head[8192];
		size_t got = 0;
		int c = accept(s, NULL, NULL);
		const char *answer = "";

		if (c < 0)
			continue;
		while (got < sizeof(head) - 1) {
			ssize_t r = read(c, head + got, sizeof(head) - 1 - got);

			if (r <= 0)
				break;
			got += (size_t)r;
			head[got] = '\0';
			if (strstr(head, "\r\n\r\n"))
				break;
		}
		switch (mode) {
		case FAKE_CUT:
			answer = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
				 "only ten b";
			break;
		case FAKE_SILENT:
			pause();
			break;
		case FAKE_JUNK:
			answer = "what is this\r\n\r\nnot http";
			break;
		case FAKE_RECORD: {
			int f = open(record, O_WRONLY | O_APPEND | O_CREAT,
				     0600);

			if (f >= 0 && write(f, head, got) < 0)
				got = 0;
			close(f);
			answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
			break;
		}
		}
		if (write(c, answer, strlen(answer)) < 0)
			answer = "";
		close(c);
	}
}

static void stop_server(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_fake(void)
{
	struct http *h;
	struct http_batch *b;
	const struct http_result *r;
	struct buf got = BUF_INIT, rec = BUF_INIT;
	struct err err;
	char url[64], record[256];
	int port, fd;
	pid_t pid;
	long t0;

	/* Cut short: retried, then failed; nothing handed over. */
	pid = fake_server(FAKE_CUT, NULL, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	h = client("cut", url);
	fd = temp_file("cut", "kept", 4);
	b = http_batch_new(h);
	http_batch_get(b, "cas/x", &got, 0, NULL);
	http_batch_get_fd(b, "cas/y", fd, 4, 0, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_NETWORK);
	r = http_batch_result(b, 0);
	CHECK_INT(r->tries, 3);
	CHECK(r->msg && !strncmp(r->msg, "remote 'cut': GET 'cas/x': the "
				 "answer was cut short: ", 46));
	CHECK_INT(got.len, 0);
	/* The file is cut back to where the body began. */
	CHECK_INT(http_batch_result(b, 1)->rc, HTTP_NETWORK);
	CHECK_INT(lseek(fd, 0, SEEK_END), 4);
	close(fd);
	http_batch_free(b);
	http_close(h);
	stop_server(pid);

	/* Never answers: times out (2 s of nothing, as client() says), no
	 * retry here. */
	pid = fake_server(FAKE_SILENT, NULL, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	{
		struct http_options o;

		http_options_init(&o);
		o.name = "silent";
		o.url = url;
		o.retries = 0;
		o.low_speed_secs = 1;
		CHECK_INT(http_open(&o, &h, &err), 0);
	}
	b = http_batch_new(h);
	http_batch_head(b, "cas/x", NULL);
	t0 = ms();
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_NETWORK);
	CHECK(ms() - t0 >= 900);
	r = http_batch_result(b, 0);
	CHECK_INT(r->tries, 1);
	CHECK(r->msg && !strncmp(r->msg, "remote 'silent': HEAD 'cas/x': "
				 "timed out: ", 42));
	http_batch_free(b);
	http_close(h);
	stop_server(pid);

	/* Not HTTP: not retried. */
	pid = fake_server(FAKE_JUNK, NULL, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	h = client("junk", url);
	b = http_batch_new(h);
	http_batch_get(b, "cas/x", &got, 0, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), HTTP_NETWORK);
	r = http_batch_result(b, 0);
	CHECK_INT(r->tries, 1);
	CHECK(r->msg && !strncmp(r->msg, "remote 'junk': GET 'cas/x': the "
				 "answer is not HTTP: ", 46));
	CHECK_INT(got.len, 0);
	http_batch_free(b);
	http_close(h);
	stop_server(pid);

	/* Credentials from the environment, as HTTP basic auth; the URL's
	 * path kept; HTTP/1.1. */
	snprintf(record, sizeof(record), "%s/requests", tmpdir);
	pid = fake_server(FAKE_RECORD, record, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/base/", port);
	setenv("CAIRN_TEST_HTTP_CRED", "user:pa:ss", 1);
	{
		struct http_options o;

		http_options_init(&o);
		o.name = "auth";
		o.url = url;
		o.cred_env = "CAIRN_TEST_HTTP_CRED";
		CHECK_INT(http_open(&o, &h, &err), 0);
	}
	unsetenv("CAIRN_TEST_HTTP_CRED");
	b = http_batch_new(h);
	http_batch_get(b, "ac/0123", &got, 0, NULL);
	CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
	CHECK_STR(got.data, "ok");
	http_batch_free(b);
	CHECK_INT(buf_read_file(&rec, record), 0);
	CHECK(!strncmp(rec.data, "GET /base/ac/0123 HTTP/1.1\r\n", 28));
	/* base64("user:pa:ss") */
	CHECK(strstr(rec.data, "\r\nAuthorization: Basic dXNlcjpwYTpzcw==\r\n"));
	/* A small PUT goes without "Expect: 100-continue" (a round trip
	 * per object saved); a large one waits for it. */
	{
		size_t n = 2u << 20;
		unsigned char *big = xcalloc(1, n);

		unlink(record);
		b = http_batch_new(h);
		http_batch_put(b, "cas/small", big, 4096, NULL);
		CHECK_INT(http_batch_run(b, NULL, NULL, &err), 0);
		http_batch_free(b);
		buf_truncate(&rec, 0);
		CHECK_INT(buf_read_file(&rec, record), 0);
		CHECK(!strncmp(rec.data, "PUT /base/cas/small HTTP/1.1\r\n", 30));
		CHECK(strstr(rec.data, "\r\nContent-Length: 4096\r\n"));
		CHECK(!strstr(rec.data, "Expect"));
		unlink(record);
		b = http_batch_new(h);
		http_batch_put(b, "cas/big", big, n, NULL);
		(void)http_batch_run(b, NULL, NULL, &err);
		http_batch_free(b);
		buf_truncate(&rec, 0);
		CHECK_INT(buf_read_file(&rec, record), 0);
		CHECK(strstr(rec.data, "\r\nExpect: 100-continue\r\n"));
		free(big);
	}
	http_close(h);
	stop_server(pid);
	buf_release(&got);
	buf_release(&rec);
}

int main(int argc, char **argv)
{
	struct buf url = BUF_INIT;
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: test_http NGINX_STATE\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/url", argv[1]);
	if (buf_read_file(&url, path) < 0)
		SKIP("no nginx (tests/fixtures/nginx/up.sh started none)");
	while (url.len && (url.data[url.len - 1] == '\n'))
		buf_truncate(&url, url.len - 1);
	snprintf(base, sizeof(base), "%s", url.data);
	buf_release(&url);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		return 1;
	}
	test_streaming();
	test_round_trip();
	test_missing();
	test_many();
	test_refused_writes();
	test_server_error();
	test_refused_connection();
	test_limits_and_local_failures();
	test_stop();
	test_bad_options();
	test_fake();
	remove_tree(tmpdir);
	return check_done("test_http");
}
