// Device queries through the CUDA runtime (linked statically, so the binary
// runs on machines without the toolkit; the driver is looked up at run time).
#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

#include "cuda.h"
#include "device.h"

extern "C" int cuda_device_count(char *why, size_t whylen)
{
	int n = 0;
	cudaError_t rc = cudaGetDeviceCount(&n);

	if (rc != cudaSuccess) {
		// The runtime remembers a failed initialisation; clear it.
		cudaGetLastError();
		if (rc == cudaErrorNoDevice)
			snprintf(why, whylen, "no CUDA device found");
		else if (rc == cudaErrorInsufficientDriver)
			snprintf(why, whylen, "no usable CUDA driver found");
		else
			snprintf(why, whylen, "%s", cudaGetErrorString(rc));
		return 0;
	}
	if (n == 0)
		snprintf(why, whylen, "no CUDA device found");
	return n;
}

extern "C" int cuda_device_describe(int i, struct device_info *out)
{
	cudaDeviceProp prop;

	memset(out, 0, sizeof(*out));
	if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
		cudaGetLastError();
		return -1;
	}
	out->index = i;
	snprintf(out->name, sizeof(out->name), "%.127s", prop.name);
	out->cc_major = prop.major;
	out->cc_minor = prop.minor;
	out->memory = prop.totalGlobalMem;
	out->multiprocessors = prop.multiProcessorCount;
	return 0;
}
