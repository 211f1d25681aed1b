/*
 * An ordered work queue with one thread of its own (queue.h): a ring of
 * items under a mutex, one condition for "something to do" and one for
 * "room, or all done".
 */
#include <pthread.h>
#include <string.h>

#include "queue.h"
#include "util.h"

struct queue {
	int (*fn)(void *ctx, void *item, int failed);
	void *ctx;
	size_t size;
	uint64_t max_bytes;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;	/* an item waits, or stop */
	pthread_cond_t room;	/* bytes went down, or all done */
	unsigned char *ring;
	uint64_t *bytes;	/* each waiting item's */
	size_t cap, head, n;	/* n waiting from ring[head] */
	uint64_t held;		/* bytes waiting or being done */
	int busy;		/* an item is being done */
	int stop;
	int rc;			/* the first failure's */
};

static void *run(void *arg)
{
	struct queue *q = arg;
	unsigned char *item = xmalloc(q->size);

	pthread_mutex_lock(&q->mu);
	for (;;) {
		uint64_t bytes;
		int failed, rc;

		while (!q->n && !q->stop)
			pthread_cond_wait(&q->work, &q->mu);
		if (!q->n)
			break;
		memcpy(item, q->ring + q->head * q->size, q->size);
		bytes = q->bytes[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		q->busy = 1;
		failed = q->rc != 0;
		pthread_mutex_unlock(&q->mu);
		rc = q->fn(q->ctx, item, failed);
		pthread_mutex_lock(&q->mu);
		if (!failed && rc)
			q->rc = rc;
		q->busy = 0;
		q->held -= bytes;
		pthread_cond_broadcast(&q->room);
	}
	pthread_mutex_unlock(&q->mu);
	free(item);
	return NULL;
}

struct queue *queue_new(int (*fn)(void *ctx, void *item, int failed),
			void *ctx, size_t size, uint64_t max_bytes)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	q->fn = fn;
	q->ctx = ctx;
	q->size = size;
	q->max_bytes = max_bytes;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->room, NULL);
	if (pthread_create(&q->thread, NULL, run, q)) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->work);
		pthread_cond_destroy(&q->room);
		free(q);
		return NULL;
	}
	return q;
}

/* Grow the ring to hold one more, keeping the waiting items in order. */
static void grow(struct queue *q)
{
	size_t cap = q->cap ? q->cap * 2 : 16, i;
	unsigned char *ring = xmalloc(cap * q->size);
	uint64_t *bytes = xmalloc(cap * sizeof(*bytes));

	for (i = 0; i < q->n; i++) {
		size_t from = (q->head + i) % q->cap;

		memcpy(ring + i * q->size, q->ring + from * q->size, q->size);
		bytes[i] = q->bytes[from];
	}
	free(q->ring);
	free(q->bytes);
	q->ring = ring;
	q->bytes = bytes;
	q->cap = cap;
	q->head = 0;
}

int queue_put(struct queue *q, const void *item, uint64_t bytes)
{
	int rc;

	pthread_mutex_lock(&q->mu);
	/* One item always goes in, however big: else nothing could. */
	while (q->held && q->held + bytes > q->max_bytes && !q->rc)
		pthread_cond_wait(&q->room, &q->mu);
	if (q->n == q->cap)
		grow(q);
	memcpy(q->ring + (q->head + q->n) % q->cap * q->size, item, q->size);
	q->bytes[(q->head + q->n) % q->cap] = bytes;
	q->n++;
	q->held += bytes;
	rc = q->rc;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int queue_wait(struct queue *q)
{
	int rc;

	pthread_mutex_lock(&q->mu);
	while (q->n || q->busy)
		pthread_cond_wait(&q->room, &q->mu);
	rc = q->rc;
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->work);
	pthread_cond_destroy(&q->room);
	free(q->ring);
	free(q->bytes);
	free(q);
}
