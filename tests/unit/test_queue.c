/*
 * The ordered work queue (engine/remote/queue.c): items done once each,
 * in order, on the queue's thread; the producer held back by the byte
 * bound; after a failure the rest let go of (failed set), the failure's
 * code said by every later call.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "queue.h"

struct item {
	int seq;
	int *owned;		/* freed by whoever does it */
};

struct state {
	pthread_mutex_t mu;
	int next;		/* the seq expected */
	int done, let_go;
	int put;		/* put so far (by the producer) */
	int most_ahead;		/* put - done, at most */
	int fail_at;		/* -1: never */
	pthread_t producer;
	int other_thread;	/* fn ran off the producer's thread */
};

static int work(void *ctx, void *arg, int failed)
{
	struct state *st = ctx;
	struct item *it = arg;
	int rc = 0;

	pthread_mutex_lock(&st->mu);
	if (it->seq != st->next)
		fprintf(stderr, "item %d came when %d was due\n", it->seq,
			st->next);
	CHECK_INT(it->seq, st->next);
	st->next++;
	if (!pthread_equal(pthread_self(), st->producer))
		st->other_thread = 1;
	if (st->put - st->done > st->most_ahead)
		st->most_ahead = st->put - st->done;
	if (failed)
		st->let_go++;
	else
		st->done++;
	if (!failed && it->seq == st->fail_at)
		rc = 7;
	pthread_mutex_unlock(&st->mu);
	free(it->owned);
	{
		struct timespec ts = { 0, 200000 };	/* slower than puts */

		nanosleep(&ts, NULL);
	}
	return rc;
}

static void run(int fail_at, int n, uint64_t bytes, uint64_t max)
{
	struct state st;
	struct queue *q;
	int i, rc, first_rc = 0;

	memset(&st, 0, sizeof(st));
	pthread_mutex_init(&st.mu, NULL);
	st.fail_at = fail_at;
	st.producer = pthread_self();
	q = queue_new(work, &st, sizeof(struct item), max);
	CHECK(q != NULL);
	if (!q)
		return;
	for (i = 0; i < n; i++) {
		struct item it = { i, malloc(16) };

		rc = queue_put(q, &it, bytes);
		if (rc && !first_rc)
			first_rc = rc;
		pthread_mutex_lock(&st.mu);
		st.put++;
		pthread_mutex_unlock(&st.mu);
	}
	rc = queue_wait(q);
	CHECK_INT(st.next, n);	/* each once, in order */
	CHECK(st.other_thread);
	if (fail_at < 0) {
		CHECK_INT(rc, 0);
		CHECK_INT(first_rc, 0);
		CHECK_INT(st.done, n);
		CHECK_INT(st.let_go, 0);
	} else {
		CHECK_INT(rc, 7);
		CHECK_INT(first_rc, 7);	/* a put after it said so */
		CHECK_INT(st.done, fail_at + 1);
		CHECK_INT(st.let_go, n - fail_at - 1);
		CHECK_INT(queue_put(q, &(struct item){ n, NULL }, 0), 7);
		CHECK_INT(queue_wait(q), 7);
	}
	/* Held back (until a failure: then what is put is let go of at
	 * once): never more than the bound's worth waiting or being done,
	 * give or take the one just put. */
	if (bytes && fail_at < 0)
		CHECK(st.most_ahead <= (int)(max / bytes) + 2);
	queue_free(q);
	pthread_mutex_destroy(&st.mu);
}

int main(void)
{
	run(-1, 500, 10, 40);		/* bound: 4 items */
	run(-1, 300, 0, 1);		/* no bytes: never held back */
	run(120, 400, 10, 100);
	run(0, 50, 1000, 10);		/* an item bigger than the bound */
	queue_free(NULL);
	return check_done("test_queue");
}
