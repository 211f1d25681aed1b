/*
 * axpy.h: y = a*x + y over doubles.  The smallest real kernel: it proves
 * the CPU/CUDA dispatch, the build and the GPU-vs-CPU test path that every
 * later kernel uses.
 */
#ifndef CAIRN_AXPY_H
#define CAIRN_AXPY_H

#include <stddef.h>

#include "device.h"

/* The CPU reference, split over up to threads threads (0: all cores). */
void axpy_cpu(size_t n, double a, const double *x, double *y, int threads);

/*
 * Dispatch: run on the device pref asks for (AUTO: a GPU when one is
 * usable).  Return the device that ran it (DEVICE_CPU or DEVICE_CUDA), or
 * -1 when DEVICE_CUDA was demanded and cannot be had (reason in why).
 */
int axpy(enum device_pref pref, size_t n, double a, const double *x,
	 double *y, char *why, size_t whylen);

#endif
