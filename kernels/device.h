/*
 * device.h: which compute devices this build and this machine offer.
 * Built without CUDA, or run where no GPU and driver are present, every
 * query answers "no device" and kernels take their CPU path.
 */
#ifndef CAIRN_DEVICE_H
#define CAIRN_DEVICE_H

#include <stddef.h>

/* Where a kernel should run; AUTO means a GPU when one is usable. */
enum device_pref { DEVICE_AUTO, DEVICE_CPU, DEVICE_CUDA };

struct device_info {
	int index;
	char name[128];
	int cc_major, cc_minor;		/* compute capability */
	size_t memory;			/* bytes of device memory */
	int multiprocessors;
};

/* 1 when this binary was built with CUDA kernels. */
int device_cuda_built(void);

/* The CUDA toolkit version the binary was built with ("13.0"), or "". */
const char *device_cuda_version(void);

/* The GPU architectures compiled in ("80-real;90"), or "". */
const char *device_cuda_archs(void);

/*
 * Number of usable CUDA devices.  0 when there is none, with the reason
 * ("built without CUDA", "no CUDA driver found", ...) in why.
 */
int device_count(char *why, size_t whylen);

/* Describe device i (0 <= i < device_count()); 0 or -1. */
int device_describe(int i, struct device_info *out);

/* Parse "auto", "cpu", "cuda"; -1 otherwise. */
int device_pref_parse(const char *s);
/* "auto", "cpu" or "cuda". */
const char *device_name(int d);

/*
 * The dispatch every kernel does, in two calls:
 *   if (device_try_cuda(pref, reason, n) && cuda_X(...) == 0)
 *           return DEVICE_CUDA;
 *   if (device_fallback(pref, reason, why, whylen) < 0)
 *           return -1;
 *   X_cpu(...); return DEVICE_CPU;
 * device_try_cuda: 1 when pref allows a GPU and one is usable (else the
 * reason in why).  device_fallback: 0 when the CPU may take over, -1 with
 * "cuda requested but not usable: REASON" in why when pref demanded CUDA.
 */
int device_try_cuda(enum device_pref pref, char *why, size_t whylen);
int device_fallback(enum device_pref pref, const char *reason, char *why,
		    size_t whylen);

#endif
