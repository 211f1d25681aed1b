/*
 * queue.h: an ordered work queue with one thread of its own.
 *
 * A pull hands each chunk to it as the chunk comes, and the thread checks
 * and stores it while the transfers go on; the producer blocks while more
 * than max_bytes wait, so memory stays bounded.  Items are done in the
 * order they were put.  Once fn fails, the later items are handed to fn
 * with failed set (to be let go of, not done), and every call after says
 * the first failure's code.
 */
#ifndef CAIRN_QUEUE_H
#define CAIRN_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

/* fn(ctx, item, failed): do item (return 0 or a failure code), or, when
 * failed, only let go of what it holds (the return is ignored).  items
 * are copied in, size bytes each.  NULL when no thread can be started:
 * the caller does the work itself. */
struct queue *queue_new(int (*fn)(void *ctx, void *item, int failed),
			void *ctx, size_t size, uint64_t max_bytes);
/* Put item (bytes: what it holds, for the bound); 0, or the first
 * failure's code (item is handed to fn as failed). */
int queue_put(struct queue *q, const void *item, uint64_t bytes);
/* Wait until every item put is done: 0 or the first failure's code. */
int queue_wait(struct queue *q);
/* Wait, stop the thread and free q (NULL does nothing). */
void queue_free(struct queue *q);

#endif
