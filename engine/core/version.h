/*
 * version.h: what this binary is: version, commit, build, devices.
 */
#ifndef CAIRN_VERSION_H
#define CAIRN_VERSION_H

struct buf;

/* "0.1.0" */
const char *cairn_version(void);
/* The source commit ("3f2a9c1", "3f2a9c1-dirty") or "unknown". */
const char *cairn_commit(void);
/* Compiler, build type, sanitizers: "gcc 12.2.0, Release". */
const char *cairn_build(void);

/*
 * The CUDA devices this process sees, as --version and a run's
 * fingerprint (fingerprint.h) both tell them.  Asks the CUDA driver
 * (milliseconds).
 */
struct version_devices {
	int cuda_built;		/* the CUDA kernels are built in */
	int n;			/* devices found; 0: cpu only, for why */
	char why[128];
};
void version_devices(struct version_devices *d);

/* The full --version text: version, build, CUDA, devices, kernels. */
void version_describe(struct buf *out);

#endif
