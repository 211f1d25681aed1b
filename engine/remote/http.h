/*
 * http.h: the remote cache's transport, HTTP/1.1 over libcurl's multi
 * interface: a client for one base URL that runs batches of HEAD, GET and
 * PUT requests on a few keep-alive connections at once, retrying the
 * failures that may pass (docs/store-format.md, "Remote caches", says
 * what the paths hold; this layer knows nothing of it).
 *
 * Conventions, as in store.h: opaque handles; every fallible call returns
 * int: 0, an errno value (> 0: a local file failed) or an HTTP_* code
 * below; http_strerror() names any of them.  Calls that take a struct err
 * * leave a complete message there when they fail; a request's own message
 * is in its result.  Messages name the remote by its name and the object
 * by its path ("remote 'ci': PUT 'cas/ab12...': ..."), never by its URL, and
 * never hold credentials.  One struct http (and its batches) may be used
 * by one thread at a time; nothing here keeps global state but libcurl's
 * own (curl_global_init, done once on the first http_open).
 */
#ifndef CAIRN_HTTP_H
#define CAIRN_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;
struct err;
struct http;
struct http_batch;

enum {
	HTTP_NOTFOUND = -30700,	/* 404 or 410: the server has no such
				   object (HEAD, GET) */
	HTTP_DENIED = -30699,	/* 401, 403 or 405: credentials missing or
				   wrong, or the location is read-only */
	HTTP_REFUSED = -30698,	/* any other answer that is not 2xx and
				   will not change by retrying (400, 413
				   too large, a redirect, ...) */
	HTTP_SERVER = -30697,	/* 408, 429 or 5xx, still after every
				   retry */
	HTTP_NETWORK = -30696,	/* cannot resolve or connect, connection
				   reset or cut mid-transfer, timeout,
				   not HTTP: still after every retry (or
				   not tried: see http_batch_run) */
	HTTP_TOOBIG = -30695,	/* a GET's body passed the caller's limit */
	HTTP_STOPPED = -30694,	/* not run to its end: the progress
				   function asked to stop */
	HTTP_BADARG = -30693,	/* invalid options (a bad URL, ...) */
};

/* A name for any return code of this API ("not found on the remote", ...). */
const char *http_strerror(int rc);

/* ---- the client ---- */

struct http_options {
	const char *name;	/* the remote's name, for messages */
	const char *url;	/* "http://host[:port][/path]" or https; a
				   trailing '/' is dropped; no user:password@
				   (HTTP_BADARG: credentials go below) */
	const char *cred_env;	/* NULL, or the name of an environment
				   variable holding "user:password" (HTTP
				   basic auth); unset or empty: none */
	int netrc;		/* non-zero: credentials for the host from
				   ~/.netrc when it has them (and cred_env
				   gave none) */
	unsigned connections;	/* keep-alive connections, and requests in
				   flight at most (1..64) */
	long connect_timeout_ms;	/* to open a connection */
	long low_speed_bytes;	/* a transfer slower than this many bytes
				   per second ... */
	long low_speed_secs;	/* ... for this many seconds times out
				   (also a server that never answers) */
	unsigned retries;	/* transient failures retried this many
				   times (0: tried once) */
	long backoff_ms;	/* the wait before the first retry, doubled
				   before each next one ... */
	long backoff_max_ms;	/* ... up to this */
};

/*
 * Fill o with the defaults: 8 connections, 10 s to connect, under 1 byte
 * per second for 30 s times out, 4 retries after 200 ms, 400 ms, 800 ms
 * and 1.6 s (at most 5 s each), no credentials, no .netrc.  name and url
 * are NULL: the caller sets them.
 */
void http_options_init(struct http_options *o);

/*
 * A client for the remote o describes (o and its strings are copied; the
 * credentials are read from the environment now).  Opens no connection:
 * the first batch does, and they stay open for the next batches until
 * http_close.  HTTP_BADARG (message in err) for a URL that is not http://
 * or https://, one with credentials in it, or options out of range.  On
 * success *out must be closed with http_close.
 */
int http_open(const struct http_options *o, struct http **out,
	      struct err *err);
void http_close(struct http *h);

/* The remote's name, as given in the options. */
const char *http_name(const struct http *h);

/* ---- batches of requests ---- */

/*
 * A batch: requests queued with the calls below, then run together by
 * http_batch_run with up to `connections` in flight.  Each queuing call
 * returns the request's index (0, 1, 2... in queue order), which names
 * its result.  path is relative to the base URL ("cas/<hex>"; the URL is
 * base + "/" + path), made of letters, digits and "-._~/" only (else a
 * BUG: paths are the program's, never the user's); it is copied.  ctx is
 * the caller's, handed back in the result.  Buffers and descriptors are
 * borrowed: they must stay valid until http_batch_run returns.  A
 * client's batches share its connections: run one at a time.
 */
struct http_batch *http_batch_new(struct http *h);
void http_batch_free(struct http_batch *b);

/* HEAD: whether the object is there (result 0) or not (HTTP_NOTFOUND),
 * and its length (the result's length). */
size_t http_batch_head(struct http_batch *b, const char *path, void *ctx);

/*
 * GET into out: the buffer is emptied at each try and holds the body once
 * the result is 0, and nothing otherwise (a failed try's bytes are
 * dropped; an answer that is not 2xx never reaches it).  limit: more body bytes than this fail the
 * request with HTTP_TOOBIG (0: no limit), so a wrong server cannot fill
 * the memory.
 */
size_t http_batch_get(struct http_batch *b, const char *path, struct buf *out,
		      uint64_t limit, void *ctx);
/*
 * GET into the open file fd, written (pwrite) from offset off on: a
 * regular file is truncated to off at each try and when the request
 * fails, so [off, end) holds the body once the result is 0 and nothing
 * otherwise (the region is the file's tail).  Streamed:
 * memory does not grow with the size.  A write that fails ends the
 * request with its errno (ENOSPC...), not retried.  limit as above.
 */
size_t http_batch_get_fd(struct http_batch *b, const char *path, int fd,
			 off_t off, uint64_t limit, void *ctx);

/*
 * PUT the n bytes at data (borrowed, not copied).  Servers answer 201 or
 * 204 for a stored object: either is result 0.
 */
size_t http_batch_put(struct http_batch *b, const char *path,
		      const void *data, size_t n, void *ctx);
/*
 * PUT len bytes of the open file fd from offset off (pread: the file
 * offset is not used or moved), streamed.  A read that fails or comes
 * short (the file shrank) ends the request with its errno (EIO for a
 * short one), not retried.
 */
size_t http_batch_put_fd(struct http_batch *b, const char *path, int fd,
			 off_t off, uint64_t len, void *ctx);

/* What became of one request. */
struct http_result {
	int rc;			/* 0: answered 2xx; else an HTTP_* code or
				   an errno value (above) */
	long status;		/* the last answer's HTTP status, 0 when
				   none came (network failure, not run) */
	int64_t length;		/* HEAD, GET: the Content-Length of the
				   last answer, -1 when none was given */
	uint64_t bytes;		/* body bytes of the last try: received
				   (GET into the caller's buffer or file)
				   or sent (PUT) */
	unsigned tries;		/* 0 when not run */
	const char *msg;	/* NULL when rc is 0; else one complete
				   message: "remote 'NAME': METHOD 'PATH':
				   why".  Owned by the batch (valid until
				   http_batch_free) */
	void *ctx;		/* as queued */
};

/* The number of requests queued, and the result of request i (< count;
 * rc 0, tries 0, length -1 and msg NULL until it ran).  Valid until
 * http_batch_free. */
size_t http_batch_count(const struct http_batch *b);
const struct http_result *http_batch_result(const struct http_batch *b,
					    size_t i);

/* Where a batch stands, for progress lines. */
struct http_progress {
	size_t total;		/* requests in this run */
	size_t done;		/* of them, ended (whatever the result) */
	size_t failed;		/* of them, ended with rc other than 0 and
				   HTTP_NOTFOUND */
	uint64_t sent;		/* body bytes sent and received so far, */
	uint64_t received;	/* requests in flight and retries included */
	size_t last;		/* the request that just ended, or SIZE_MAX
				   when called on a tick */
};

/*
 * Called after each request ends (last = its index) and, while transfers
 * go on, about every 100 ms (last = SIZE_MAX).  A non-zero return stops
 * the batch: fn is not called again, nothing more starts, transfers in
 * flight are abandoned (what a GET wrote is dropped, as for a failure),
 * and every request that had not ended gets HTTP_STOPPED; those libcurl
 * finished in the same step keep their results.
 */
typedef int (*http_progress_fn)(const struct http_progress *p, void *ctx);

/*
 * Run the requests queued since the last run (or since http_batch_new),
 * up to `connections` at a time, in queue order, each transient failure
 * (cannot connect, reset, cut short, timeout, 408, 429, 5xx) retried
 * after the backoff while the other requests go on; other failures end
 * their request at once.  Once a request has ended with HTTP_NETWORK
 * (after its retries, or at once: not HTTP, a host that does not
 * resolve) the remote is taken for down: the transfers in flight go on,
 * and every request not started or waiting to be retried ends at once
 * with HTTP_NETWORK ("not tried: the remote is taken for down (WHY)" in
 * the message, or "not tried again: ..." for one waiting for a retry), so
 * a dead server costs seconds, not seconds per object.  Returns when
 * every request has ended.  fn may be NULL.
 *
 * Returns 0 when every request ended with 0 or HTTP_NOTFOUND (look at
 * each result for which); HTTP_STOPPED when fn stopped it; else the code
 * of the first request (in queue order) that failed otherwise, with its
 * message in err, followed by " (and N more failed)" when others did.
 * Every result is set in all cases.
 */
int http_batch_run(struct http_batch *b, http_progress_fn fn, void *ctx,
		   struct err *err);

#endif
