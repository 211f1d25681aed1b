#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "axpy.h"
#include "cuda.h"

struct slice {
	size_t from, to;
	double a;
	const double *x;
	double *y;
};

static void *run_slice(void *arg)
{
	struct slice *s = arg;
	size_t i;

	for (i = s->from; i < s->to; i++)
		s->y[i] += s->a * s->x[i];
	return NULL;
}

void axpy_cpu(size_t n, double a, const double *x, double *y, int threads)
{
	enum { MAX_THREADS = 64, MIN_PER_THREAD = 1 << 16 };
	struct slice s[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	int t, started = 0;

	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if ((size_t)threads > n / MIN_PER_THREAD)
		threads = (int)(n / MIN_PER_THREAD);
	if (threads < 1)
		threads = 1;
	for (t = 0; t < threads; t++) {
		s[t].from = n * (size_t)t / (size_t)threads;
		s[t].to = n * (size_t)(t + 1) / (size_t)threads;
		s[t].a = a;
		s[t].x = x;
		s[t].y = y;
	}
	for (t = 1; t < threads; t++)
		if (pthread_create(&tid[t], NULL, run_slice, &s[t]) == 0)
			started = t;
		else
			break;
	/* Slices whose thread could not start run here. */
	run_slice(&s[0]);
	for (t = started + 1; t < threads; t++)
		run_slice(&s[t]);
	for (t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
}

int axpy(enum device_pref pref, size_t n, double a, const double *x,
	 double *y, char *why, size_t whylen)
{
	char reason[128] = "";

	if (pref != DEVICE_CPU && device_count(reason, sizeof(reason)) > 0) {
#ifdef CAIRN_HAVE_CUDA
		if (cuda_axpy(n, a, x, y, reason, sizeof(reason)) == 0)
			return DEVICE_CUDA;
#endif
	}
	if (pref == DEVICE_CUDA) {
		snprintf(why, whylen, "cuda requested but not usable: %s",
			 reason[0] ? reason : "unknown reason");
		return -1;
	}
	axpy_cpu(n, a, x, y, 0);
	return DEVICE_CPU;
}
