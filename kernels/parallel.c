#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "parallel.h"

int parallel_threads(int threads, size_t n, size_t min_per)
{
	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads > PARALLEL_MAX)
		threads = PARALLEL_MAX;
	if (min_per && (size_t)threads > n / min_per)
		threads = (int)(n / min_per);
	return threads < 1 ? 1 : threads;
}

struct slice {
	void (*fn)(void *ctx, size_t from, size_t to, int t);
	void *ctx;
	size_t from, to;
	int t;
};

static void *run_slice(void *arg)
{
	struct slice *s = arg;

	s->fn(s->ctx, s->from, s->to, s->t);
	return NULL;
}

int parallel_for(int threads, size_t n, size_t min_per,
		 void (*fn)(void *ctx, size_t from, size_t to, int t),
		 void *ctx)
{
	struct slice s[PARALLEL_MAX];
	pthread_t tid[PARALLEL_MAX];
	int started[PARALLEL_MAX] = { 0 };
	int nt = parallel_threads(threads, n, min_per), t;

	for (t = 0; t < nt; t++) {
		s[t].fn = fn;
		s[t].ctx = ctx;
		s[t].from = n * (size_t)t / (size_t)nt;
		s[t].to = n * (size_t)(t + 1) / (size_t)nt;
		s[t].t = t;
	}
	for (t = 1; t < nt; t++)
		started[t] = pthread_create(&tid[t], NULL, run_slice, &s[t]) == 0;
	run_slice(&s[0]);
	for (t = 1; t < nt; t++)
		if (!started[t])
			run_slice(&s[t]);
	for (t = 1; t < nt; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
	return nt;
}

struct chunks {
	void (*fn)(void *ctx, size_t from, size_t to, int t);
	void *ctx;
	size_t n, chunk;
	atomic_size_t next;
};

static void chunk_worker(void *arg, size_t from, size_t to, int t)
{
	struct chunks *c = arg;
	size_t a;

	(void)from, (void)to;
	while ((a = atomic_fetch_add(&c->next, c->chunk)) < c->n)
		c->fn(c->ctx, a, a + c->chunk < c->n ? a + c->chunk : c->n, t);
}

int parallel_chunks(int threads, size_t n, size_t chunk,
		    void (*fn)(void *ctx, size_t from, size_t to, int t),
		    void *ctx)
{
	struct chunks c;
	int nt;

	c.fn = fn;
	c.ctx = ctx;
	c.n = n;
	c.chunk = chunk ? chunk : 1;
	atomic_init(&c.next, 0);
	nt = parallel_threads(threads, (n + c.chunk - 1) / c.chunk, 1);
	/* One slice per thread; each takes chunks until none are left. */
	return parallel_for(nt, (size_t)nt, 1, chunk_worker, &c);
}
