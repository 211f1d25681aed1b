#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "util.h"

enum method { M_HEAD, M_GET, M_PUT };
static const char *const method_names[] = { "HEAD", "GET", "PUT" };

/* Where a request stands in a run. */
enum state { S_QUEUED, S_RUNNING, S_WAITING, S_DONE };

/* Body buffers of each connection: bigger than libcurl's 16 KiB, so a
 * large transfer takes fewer trips through the callbacks. */
enum { XFER_BUFFER = 256 * 1024 };

/* A PUT this small goes without "Expect: 100-continue" (libcurl asks
 * for it past 1 KiB): waiting for the server's go-ahead costs a round
 * trip per object, and sending a refused small body costs nothing. */
enum { EXPECT_MIN = 1024 * 1024 };

/* How often the progress function is called while transfers go on. */
enum { TICK_MS = 100 };

struct req {
	struct http_result r;
	char *path;
	enum method method;
	enum state state;
	const unsigned char *data;	/* PUT from a buffer */
	struct buf *out;		/* GET into a buffer */
	int fd;				/* GET into or PUT from a file, or -1 */
	off_t off;
	uint64_t len;			/* PUT: body bytes */
	uint64_t limit;			/* GET: most body bytes, 0: any */
	uint64_t pos;			/* body bytes of this try */
	int local_errno;		/* a local read or write failed */
	int toobig;			/* the body passed limit */
	long due_ms;			/* S_WAITING: when to try again */
};

struct slot {
	CURL *easy;
	struct req *req;		/* NULL when free */
	struct http_batch *batch;
	char errbuf[CURL_ERROR_SIZE];
};

struct http {
	struct http_options o;
	char *name;
	char *base;			/* no '/' at the end */
	char *userpwd;			/* NULL: none from the environment */
	CURLM *multi;
	struct slot *slots;		/* o.connections */
	struct curl_slist *no_expect;	/* "Expect:", dropping the header */
};

struct http_batch {
	struct http *h;
	struct req *reqs;
	size_t n, cap;
	size_t ran;			/* requests before this ran already */
	struct http_progress p;
	char *down;			/* why the remote is taken for down */
};

const char *http_strerror(int rc)
{
	switch (rc) {
	case 0: return "success";
	case HTTP_NOTFOUND: return "not found on the remote";
	case HTTP_DENIED: return "access denied by the remote";
	case HTTP_REFUSED: return "request refused by the remote";
	case HTTP_SERVER: return "the remote failed";
	case HTTP_NETWORK: return "the remote cannot be reached";
	case HTTP_TOOBIG: return "answer larger than expected";
	case HTTP_STOPPED: return "stopped";
	case HTTP_BADARG: return "invalid argument";
	}
	return rc > 0 ? strerror(rc) : "unknown error";
}

void http_options_init(struct http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->connections = 8;
	o->connect_timeout_ms = 10000;
	o->low_speed_bytes = 1;
	o->low_speed_secs = 30;
	o->retries = 4;
	o->backoff_ms = 200;
	o->backoff_max_ms = 5000;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Check url's shape; base gets it without the '/'s at the end.  The URL is
 * quoted only once known to hold no credentials. */
static int check_url(const char *name, const char *url, char **base,
		     struct err *err)
{
	const char *host, *p;
	size_t n;

	if (!strncmp(url, "http://", 7))
		host = url + 7;
	else if (!strncmp(url, "https://", 8))
		host = url + 8;
	else if (strchr(url, '@'))
		return err_set(err, "remote '%s': the url must start with "
			       "http:// or https://", name);
	else
		return err_set(err, "remote '%s': the url '%s' must start "
			       "with http:// or https://", name, url);
	n = strcspn(host, "/");
	if (memchr(host, '@', n))
		return err_set(err, "remote '%s': the url holds credentials "
			       "(user:password@): put them in ~/.netrc or in "
			       "an environment variable instead", name);
	if (n == 0)
		return err_set(err, "remote '%s': the url '%s' names no host",
			       name, url);
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' ||
		    *p == '#')
			return err_set(err, "remote '%s': the url '%s' has a "
				       "space, control character, '?' or '#'",
				       name, url);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	*base = xstrndup(url, n);
	return 0;
}

int http_open(const struct http_options *o, struct http **out,
	      struct err *err)
{
	struct http *h;
	const char *name = o->name ? o->name : "";
	char *base = NULL;
	unsigned i;

	*out = NULL;
	if (!o->url)
		return err_set(err, "remote '%s': no url", name), HTTP_BADARG;
	if (check_url(name, o->url, &base, err))
		return HTTP_BADARG;
	if (o->connections < 1 || o->connections > 64 ||
	    o->connect_timeout_ms < 1 || o->low_speed_secs < 1 ||
	    o->low_speed_bytes < 0 || o->retries > 100 || o->backoff_ms < 0 ||
	    o->backoff_max_ms < o->backoff_ms) {
		free(base);
		return err_set(err, "remote '%s': transfer options out of "
			       "range", name), HTTP_BADARG;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		free(base);
		return err_set(err, "remote '%s': cannot start libcurl: %s",
			       name, curl_easy_strerror(curl_init_rc)),
		       HTTP_NETWORK;
	}
	h = xcalloc(1, sizeof(*h));
	h->o = *o;
	h->name = xstrdup(name);
	h->o.name = h->name;
	h->base = base;
	h->o.url = h->base;
	h->o.cred_env = NULL;
	if (o->cred_env) {
		const char *v = getenv(o->cred_env);

		if (v && *v && !strchr(v, ':')) {
			http_close(h);
			return err_set(err, "remote '%s': $%s is not "
				       "user:password", name, o->cred_env),
			       HTTP_BADARG;
		}
		if (v && *v)
			h->userpwd = xstrdup(v);
	}
	h->multi = curl_multi_init();
	h->no_expect = curl_slist_append(NULL, "Expect:");
	h->slots = xcalloc(o->connections, sizeof(*h->slots));
	for (i = 0; h->multi && i < o->connections; i++)
		if (!(h->slots[i].easy = curl_easy_init()))
			break;
	if (!h->multi || !h->no_expect || i < o->connections) {
		http_close(h);
		return err_set(err, "remote '%s': cannot start libcurl", name),
		       HTTP_NETWORK;
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)o->connections);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)o->connections);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)o->connections);
	*out = h;
	return 0;
}

void http_close(struct http *h)
{
	unsigned i;

	if (!h)
		return;
	for (i = 0; h->slots && i < h->o.connections; i++)
		if (h->slots[i].easy)
			curl_easy_cleanup(h->slots[i].easy);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->no_expect);
	free(h->slots);
	if (h->userpwd) {
		/* Not left in freed memory for a later core dump to show. */
		memset(h->userpwd, 0, strlen(h->userpwd));
		free(h->userpwd);
	}
	free(h->base);
	free(h->name);
	free(h);
}

const char *http_name(const struct http *h)
{
	return h->name;
}

/* ---- batches ---- */

struct http_batch *http_batch_new(struct http *h)
{
	struct http_batch *b = xcalloc(1, sizeof(*b));

	b->h = h;
	return b;
}

void http_batch_free(struct http_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->reqs[i].path);
		free((char *)b->reqs[i].r.msg);
	}
	free(b->reqs);
	free(b->down);
	free(b);
}

static struct req *add(struct http_batch *b, enum method m, const char *path,
		       void *ctx)
{
	struct req *r;
	const char *p;

	if (!*path || *path == '/')
		BUG("http path '%s' is empty or absolute", path);
	for (p = path; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789-._~/", *p))
			BUG("http path '%s' has a character outside "
			    "[A-Za-z0-9-._~/]", path);
	xgrow((void **)&b->reqs, &b->cap, b->n + 1, sizeof(*b->reqs));
	r = &b->reqs[b->n++];
	memset(r, 0, sizeof(*r));
	r->path = xstrdup(path);
	r->method = m;
	r->fd = -1;
	r->r.length = -1;
	r->r.ctx = ctx;
	return r;
}

size_t http_batch_head(struct http_batch *b, const char *path, void *ctx)
{
	add(b, M_HEAD, path, ctx);
	return b->n - 1;
}

size_t http_batch_get(struct http_batch *b, const char *path, struct buf *out,
		      uint64_t limit, void *ctx)
{
	struct req *r = add(b, M_GET, path, ctx);

	r->out = out;
	r->limit = limit;
	return b->n - 1;
}

size_t http_batch_get_fd(struct http_batch *b, const char *path, int fd,
			 off_t off, uint64_t limit, void *ctx)
{
	struct req *r = add(b, M_GET, path, ctx);

	r->fd = fd;
	r->off = off;
	r->limit = limit;
	return b->n - 1;
}

size_t http_batch_put(struct http_batch *b, const char *path,
		      const void *data, size_t n, void *ctx)
{
	struct req *r = add(b, M_PUT, path, ctx);

	r->data = data;
	r->len = n;
	return b->n - 1;
}

size_t http_batch_put_fd(struct http_batch *b, const char *path, int fd,
			 off_t off, uint64_t len, void *ctx)
{
	struct req *r = add(b, M_PUT, path, ctx);

	r->fd = fd;
	r->off = off;
	r->len = len;
	return b->n - 1;
}

size_t http_batch_count(const struct http_batch *b)
{
	return b->n;
}

const struct http_result *http_batch_result(const struct http_batch *b,
					    size_t i)
{
	if (i >= b->n)
		BUG("http result %zu of %zu", i, b->n);
	return &b->reqs[i].r;
}

/* ---- libcurl's callbacks ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct slot *s = arg;
	struct req *r = s->req;
	size_t n = size * nmemb, done = 0;
	long status = 0;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	/* Only a 2xx GET's body is the object: an error page is dropped. */
	if (r->method != M_GET || status < 200 || status > 299)
		return n;
	if (r->limit && (r->pos + n < r->pos || r->pos + n > r->limit)) {
		r->toobig = 1;
		return 0;
	}
	if (r->out) {
		buf_add(r->out, data, n);
	} else {
		while (done < n) {
			ssize_t w = pwrite(r->fd, data + done, n - done,
					   r->off + (off_t)(r->pos + done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				r->local_errno = w < 0 ? errno : EIO;
				return 0;
			}
			done += (size_t)w;
		}
	}
	r->pos += n;
	s->batch->p.received += n;
	return n;
}

static size_t on_read(char *into, size_t size, size_t nitems, void *arg)
{
	struct slot *s = arg;
	struct req *r = s->req;
	size_t room = size * nitems;
	uint64_t left = r->len - r->pos;
	size_t n = left < room ? (size_t)left : room;

	if (n == 0)
		return 0;
	if (r->data) {
		memcpy(into, r->data + r->pos, n);
	} else {
		ssize_t got;

		do
			got = pread(r->fd, into, n, r->off + (off_t)r->pos);
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			r->local_errno = got < 0 ? errno : EIO;
			return CURL_READFUNC_ABORT;
		}
		n = (size_t)got;
	}
	r->pos += n;
	s->batch->p.sent += n;
	return n;
}

/* libcurl rewinds an upload to send it again (a connection it found
 * closed when it reused it). */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct slot *s = arg;
	struct req *r = s->req;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->len)
		return CURL_SEEKFUNC_CANTSEEK;
	r->pos = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* ---- running ---- */

/* Set the request's message: "remote 'NAME': METHOD 'PATH': " + fmt. */
static void say(struct http_batch *b, struct req *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct http_batch *b, struct req *r, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;

	buf_addf(&m, "remote '%s': %s '%s': ", b->h->name,
		 method_names[r->method], r->path);
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	free((char *)r->r.msg);
	r->r.msg = buf_detach(&m, NULL);
}

/* Drop what a GET wrote: the buffer emptied, a regular file cut back to
 * where the body began.  0, or -1 with errno set. */
static int drop_body(struct req *r)
{
	struct stat st;

	if (r->out) {
		buf_truncate(r->out, 0);
		return 0;
	}
	if (fstat(r->fd, &st) < 0)
		return -1;
	return S_ISREG(st.st_mode) ? ftruncate(r->fd, r->off) : 0;
}

static int start(struct http_batch *b, struct slot *s, struct req *r)
{
	struct http *h = b->h;
	CURL *e = s->easy;
	struct buf url = BUF_INIT;
	CURLMcode mc;

	r->pos = 0;
	r->local_errno = 0;
	r->toobig = 0;
	r->r.tries++;
	r->r.status = 0;
	r->r.length = -1;
	r->r.bytes = 0;
	if (r->method == M_GET && drop_body(r) < 0) {
		r->r.rc = errno;
		say(b, r, "cannot truncate the file to write to: %s",
		    strerror(errno));
		return -1;
	}
	s->req = r;
	s->batch = b;
	s->errbuf[0] = '\0';
	curl_easy_reset(e);
	buf_addf(&url, "%s/%s", h->base, r->path);
	curl_easy_setopt(e, CURLOPT_URL, url.data);
	buf_release(&url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, h->o.low_speed_bytes);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, h->o.low_speed_secs);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)XFER_BUFFER);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)s);
	if (h->userpwd) {
		curl_easy_setopt(e, CURLOPT_USERPWD, h->userpwd);
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	} else if (h->o.netrc) {
		curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	}
	switch (r->method) {
	case M_HEAD:
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		break;
	case M_GET:
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		break;
	case M_PUT:
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, (long)XFER_BUFFER);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, (void *)s);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, (void *)s);
		if (r->len < EXPECT_MIN)
			curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->no_expect);
		break;
	}
	mc = curl_multi_add_handle(h->multi, e);
	if (mc != CURLM_OK) {
		s->req = NULL;
		r->r.rc = HTTP_NETWORK;
		say(b, r, "cannot start the transfer: %s",
		    curl_multi_strerror(mc));
		return -1;
	}
	r->state = S_RUNNING;
	return 0;
}

static const char *status_text(long status)
{
	switch (status) {
	case 400: return " (bad request)";
	case 401: return " (unauthorized: no or wrong credentials)";
	case 403: return " (forbidden)";
	case 404: return " (not found)";
	case 405: return " (method not allowed)";
	case 408: return " (request timeout)";
	case 410: return " (gone)";
	case 413: return " (content too large)";
	case 429: return " (too many requests)";
	case 500: return " (internal server error)";
	case 502: return " (bad gateway)";
	case 503: return " (service unavailable)";
	case 504: return " (gateway timeout)";
	case 507: return " (insufficient storage)";
	}
	return "";
}

/* What went wrong with a transfer that got no complete answer, and
 * whether trying again may help. */
static const char *network_text(CURLcode cc, int *transient)
{
	*transient = 1;
	switch (cc) {
	case CURLE_COULDNT_CONNECT: return "cannot connect";
	case CURLE_OPERATION_TIMEDOUT: return "timed out";
	case CURLE_PARTIAL_FILE: return "the answer was cut short";
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR: return "the connection was lost";
	case CURLE_GOT_NOTHING: return "the server closed the connection "
				       "without answering";
	default: break;
	}
	*transient = 0;
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST: return "cannot resolve the host";
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:	/* "Received HTTP/0.9" */
		return "the answer is not HTTP";
	default: return "the transfer failed";
	}
}

/* The request in slot s ended its try with cc: end the request, or put it
 * back to wait for its next try.  1 when it ended. */
static int finish(struct http_batch *b, struct slot *s, CURLcode cc)
{
	struct http *h = b->h;
	struct req *r = s->req;
	struct buf why = BUF_INIT;
	long status = 0;
	curl_off_t cl = -1;
	int transient = 0;

	curl_multi_remove_handle(h->multi, s->easy);
	s->req = NULL;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (r->method != M_PUT)
		curl_easy_getinfo(s->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
				  &cl);
	r->r.status = status;
	r->r.length = cl;
	r->r.bytes = r->pos;
	if (r->local_errno) {
		r->r.rc = r->local_errno;
		buf_addf(&why, "cannot %s: %s", r->method == M_PUT ?
			 "read the file to send" : "write the file received",
			 strerror(r->local_errno));
	} else if (r->toobig) {
		r->r.rc = HTTP_TOOBIG;
		buf_addf(&why, "the answer passes %" PRIu64 " bytes", r->limit);
	} else if (cc != CURLE_OK) {
		const char *what = network_text(cc, &transient);

		r->r.rc = HTTP_NETWORK;
		buf_addf(&why, "%s: %s", what, s->errbuf[0] ? s->errbuf :
			 curl_easy_strerror(cc));
	} else if (status >= 200 && status <= 299) {
		r->r.rc = 0;
	} else {
		if (status == 404 || status == 410)
			r->r.rc = HTTP_NOTFOUND;
		else if (status == 401 || status == 403 || status == 405)
			r->r.rc = HTTP_DENIED;
		else if (status == 408 || status == 429 || status >= 500) {
			r->r.rc = HTTP_SERVER;
			transient = 1;
		} else
			r->r.rc = HTTP_REFUSED;
		buf_addf(&why, "the server answered %ld%s", status,
			 status_text(status));
	}
	if (transient && r->r.tries <= h->o.retries) {
		unsigned k = r->r.tries - 1;
		long wait = h->o.backoff_ms;

		while (k-- > 0 && wait < h->o.backoff_max_ms)
			wait *= 2;
		if (wait > h->o.backoff_max_ms)
			wait = h->o.backoff_max_ms;
		r->due_ms = now_ms() + wait;
		r->state = S_WAITING;
		buf_release(&why);
		return 0;
	}
	r->state = S_DONE;
	free((char *)r->r.msg);
	r->r.msg = NULL;
	if (r->r.rc && r->method == M_GET)
		(void)drop_body(r);
	if (r->r.rc) {
		if (r->r.tries > 1)
			buf_addf(&why, " (%u tries)", r->r.tries);
		say(b, r, "%s", why.data);
		if (r->r.rc == HTTP_NETWORK && !b->down)
			b->down = buf_detach(&why, NULL);
	}
	buf_release(&why);
	return 1;
}

/* End request r without trying it (the remote is down). */
static void not_tried(struct http_batch *b, struct req *r)
{
	r->r.rc = HTTP_NETWORK;
	say(b, r, "not tried%s: the remote is taken for down (%s)",
	    r->r.tries ? " again" : "", b->down);
	r->state = S_DONE;
}

/* One run of a batch: what is in flight, what waits for a retry. */
struct run {
	struct http_batch *b;
	http_progress_fn fn;
	void *ctx;
	size_t next;			/* the next request never started */
	size_t *waiting;		/* requests in S_WAITING */
	size_t nwaiting, capwaiting;
	unsigned inflight;
	int stop;			/* fn asked to stop */
};

static void ended(struct run *u, struct req *r)
{
	struct http_batch *b = u->b;

	b->p.done++;
	if (r->r.rc && r->r.rc != HTTP_NOTFOUND)
		b->p.failed++;
	b->p.last = (size_t)(r - b->reqs);
	if (u->fn && !u->stop && u->fn(&b->p, u->ctx))
		u->stop = 1;
}

/* Take the waiting request due first, if one is due by now (all are
 * once the remote is down: they end untried). */
static struct req *take_due(struct run *u, long now)
{
	size_t i, best = SIZE_MAX;
	struct req *r;

	for (i = 0; i < u->nwaiting; i++) {
		r = &u->b->reqs[u->waiting[i]];
		if ((u->b->down || r->due_ms <= now) &&
		    (best == SIZE_MAX ||
		     r->due_ms < u->b->reqs[u->waiting[best]].due_ms))
			best = i;
	}
	if (best == SIZE_MAX)
		return NULL;
	r = &u->b->reqs[u->waiting[best]];
	u->waiting[best] = u->waiting[--u->nwaiting];
	return r;
}

/* Start requests on the free connections: retries that are due, then
 * new ones in queue order. */
static void fill(struct run *u, long now)
{
	struct http_batch *b = u->b;
	unsigned k;

	for (k = 0; !u->stop && k < b->h->o.connections; k++) {
		struct slot *s = &b->h->slots[k];

		while (!s->req && !u->stop) {
			struct req *r = take_due(u, now);

			if (!r && u->next < b->n)
				r = &b->reqs[u->next++];
			if (!r)
				break;
			if (b->down) {
				not_tried(b, r);
			} else if (start(b, s, r) == 0) {
				u->inflight++;
				break;
			} else {
				r->state = S_DONE;
			}
			ended(u, r);
		}
	}
}

/* Take the transfers libcurl has finished. */
static void collect(struct run *u)
{
	struct http_batch *b = u->b;
	CURLMsg *m;
	int queued;

	while ((m = curl_multi_info_read(b->h->multi, &queued))) {
		struct slot *s = NULL;
		struct req *r;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		r = s->req;
		u->inflight--;
		if (finish(b, s, m->data.result)) {
			ended(u, r);
		} else {
			xgrow((void **)&u->waiting, &u->capwaiting,
			      u->nwaiting + 1, sizeof(*u->waiting));
			u->waiting[u->nwaiting++] = (size_t)(r - b->reqs);
		}
	}
}

/* Sleep until a transfer moves, a retry is due or a tick is. */
static void wait_some(struct run *u, long now)
{
	long wait = TICK_MS;
	size_t i;

	for (i = 0; i < u->nwaiting; i++) {
		long d = u->b->reqs[u->waiting[i]].due_ms - now;

		if (d < wait)
			wait = d;
	}
	if (wait > 0)
		curl_multi_poll(u->b->h->multi, NULL, 0, (int)wait, NULL);
}

/* Abandon the transfers in flight; every request not ended is stopped. */
static void stop_all(struct run *u, size_t from)
{
	struct http_batch *b = u->b;
	struct http *h = b->h;
	size_t i;
	unsigned k;

	for (k = 0; k < h->o.connections; k++)
		if (h->slots[k].req) {
			curl_multi_remove_handle(h->multi, h->slots[k].easy);
			h->slots[k].req = NULL;
		}
	for (i = from; i < b->n; i++) {
		struct req *r = &b->reqs[i];

		if (r->state == S_DONE)
			continue;
		r->state = S_DONE;
		r->r.rc = HTTP_STOPPED;
		if (r->method == M_GET && r->r.tries)
			(void)drop_body(r);
		say(b, r, "stopped");
	}
}

int http_batch_run(struct http_batch *b, http_progress_fn fn, void *ctx,
		   struct err *err)
{
	struct run u = { b, fn, ctx, b->ran, NULL, 0, 0, 0, 0 };
	size_t from = b->ran, i, first = SIZE_MAX, more = 0;
	long last_tick = now_ms();

	memset(&b->p, 0, sizeof(b->p));
	b->p.total = b->n - from;
	b->p.last = SIZE_MAX;
	for (;;) {
		long now = now_ms();
		int running = 0;

		fill(&u, now);
		if (u.stop || (!u.inflight && !u.nwaiting && u.next == b->n))
			break;
		curl_multi_perform(b->h->multi, &running);
		collect(&u);
		if (u.stop)
			break;
		now = now_ms();
		if (fn && now - last_tick >= TICK_MS) {
			last_tick = now;
			b->p.last = SIZE_MAX;
			if (fn(&b->p, ctx)) {
				u.stop = 1;
				break;
			}
		}
		if (u.inflight || u.nwaiting)
			wait_some(&u, now);
	}
	free(u.waiting);
	b->ran = b->n;
	if (u.stop) {
		stop_all(&u, from);
		return err_set(err, "remote '%s': stopped, %zu of %zu "
			       "requests done", b->h->name, b->p.done,
			       b->p.total), HTTP_STOPPED;
	}
	for (i = from; i < b->n; i++) {
		int rc = b->reqs[i].r.rc;

		if (!rc || rc == HTTP_NOTFOUND)
			continue;
		if (first == SIZE_MAX)
			first = i;
		else
			more++;
	}
	if (first == SIZE_MAX)
		return 0;
	if (more)
		err_set(err, "%s (and %zu more failed)", b->reqs[first].r.msg,
			more);
	else
		err_set(err, "%s", b->reqs[first].r.msg);
	return b->reqs[first].r.rc;
}
