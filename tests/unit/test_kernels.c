/*
 * Kernels against their CPU references.  The CPU path is checked against
 * a plain loop on every machine; the CUDA path against the CPU path where
 * a device is present, else this test reports skipped (77).
 */
#include <math.h>

#include "axpy.h"
#include "check.h"
#include "device.h"

static void fill(double *x, double *y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		x[i] = sin((double)i) * 1e3;
		y[i] = cos((double)i * 0.5);
	}
}

int main(int argc, char **argv)
{
	enum { N = 1 << 20 };
	double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double)),
	       *ref = malloc(N * sizeof(double));
	char why[128] = "";
	size_t i, bad = 0;
	int gpu = argc > 1 && !strcmp(argv[1], "--gpu"), n;

	fill(x, ref, N);
	for (i = 0; i < N; i++)
		ref[i] += 2.5 * x[i];
	if (!gpu) {
		fill(x, y, N);
		axpy_cpu(N, 2.5, x, y, 0);
		for (i = 0; i < N; i++)
			bad += y[i] != ref[i];
		CHECK_INT(bad, 0);
		fill(x, y, N);
		axpy_cpu(N, 2.5, x, y, 3);
		for (i = 0, bad = 0; i < N; i++)
			bad += y[i] != ref[i];
		CHECK_INT(bad, 0);
		fill(x, y, N);
		CHECK_INT(axpy(DEVICE_CPU, N, 2.5, x, y, why, sizeof(why)),
			  DEVICE_CPU);
		for (i = 0, bad = 0; i < N; i++)
			bad += y[i] != ref[i];
		CHECK_INT(bad, 0);
		/* Without a device, AUTO falls back and CUDA is refused. */
		if (device_count(why, sizeof(why)) == 0) {
			fill(x, y, N);
			CHECK_INT(axpy(DEVICE_AUTO, N, 2.5, x, y, why,
				       sizeof(why)),
				  DEVICE_CPU);
			CHECK_INT(axpy(DEVICE_CUDA, N, 2.5, x, y, why,
				       sizeof(why)),
				  -1);
			CHECK(strstr(why, "cuda requested but not usable") !=
			      NULL);
		}
		free(x), free(y), free(ref);
		return check_done("test_kernels");
	}
	n = device_count(why, sizeof(why));
	if (n == 0) {
		free(x), free(y), free(ref);
		printf("no CUDA device: %s\n", why);
		SKIP("no CUDA device");
	}
	fill(x, y, N);
	CHECK_INT(axpy(DEVICE_CUDA, N, 2.5, x, y, why, sizeof(why)),
		  DEVICE_CUDA);
	/* fma on the GPU may differ from a*x+y on the CPU in the last bit. */
	for (i = 0; i < N; i++)
		bad += fabs(y[i] - ref[i]) > 1e-12 * (fabs(ref[i]) + 1);
	CHECK_INT(bad, 0);
	free(x), free(y), free(ref);
	return check_done("test_kernels_gpu");
}
