#include "idxheap.h"
#include "util.h"

void idxheap_push(struct idxheap *h, size_t x)
{
	size_t i;

	xgrow((void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v));
	i = h->n++;
	while (i > 0 && h->v[(i - 1) / 2] > x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

size_t idxheap_pop(struct idxheap *h)
{
	size_t top = h->v[0], last = h->v[--h->n], i = 0, c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (last <= h->v[c])
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

void idxheap_release(struct idxheap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
