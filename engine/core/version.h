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

/* The full --version text: version, build, CUDA, devices, kernels. */
void version_describe(struct buf *out);

#endif
