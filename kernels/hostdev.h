/* hostdev.h: mark the few inline rules the CPU and GPU code share. */
#ifndef CAIRN_HOSTDEV_H
#define CAIRN_HOSTDEV_H

#ifdef __CUDACC__
#define HOST_DEVICE __host__ __device__
#else
#define HOST_DEVICE
#endif

#endif
