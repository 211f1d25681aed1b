#include <stdio.h>
#include <string.h>

#include "cuda.h"
#include "device.h"

int device_cuda_built(void)
{
#ifdef CAIRN_HAVE_CUDA
	return 1;
#else
	return 0;
#endif
}

const char *device_cuda_version(void)
{
#ifdef CAIRN_CUDA_VERSION
	return CAIRN_CUDA_VERSION;
#else
	return "";
#endif
}

const char *device_cuda_archs(void)
{
#ifdef CAIRN_CUDA_ARCHS
	return CAIRN_CUDA_ARCHS;
#else
	return "";
#endif
}

int device_count(char *why, size_t whylen)
{
#ifdef CAIRN_HAVE_CUDA
	return cuda_device_count(why, whylen);
#else
	snprintf(why, whylen, "built without CUDA");
	return 0;
#endif
}

int device_describe(int i, struct device_info *out)
{
#ifdef CAIRN_HAVE_CUDA
	return cuda_device_describe(i, out);
#else
	(void)i;
	memset(out, 0, sizeof(*out));
	return -1;
#endif
}

int device_pref_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return DEVICE_AUTO;
	if (!strcmp(s, "cpu"))
		return DEVICE_CPU;
	if (!strcmp(s, "cuda"))
		return DEVICE_CUDA;
	return -1;
}

int device_try_cuda(enum device_pref pref, char *why, size_t whylen)
{
	if (pref == DEVICE_CPU) {
		snprintf(why, whylen, "cpu requested");
		return 0;
	}
	return device_count(why, whylen) > 0;
}

int device_fallback(enum device_pref pref, const char *reason, char *why,
		    size_t whylen)
{
	if (pref != DEVICE_CUDA)
		return 0;
	snprintf(why, whylen, "cuda requested but not usable: %s",
		 reason && reason[0] ? reason : "unknown reason");
	return -1;
}

const char *device_name(int d)
{
	return d == DEVICE_CUDA ? "cuda" : d == DEVICE_CPU ? "cpu" : "auto";
}
