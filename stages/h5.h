/*
 * h5.h: the HDF5 files the built-in stages read and write: datasets of
 * fixed-size numbers, nested in groups by '/' in their names, with
 * attributes recording the settings that made them.  Files are written
 * without object timestamps, so the same data gives the same bytes (the
 * bitwise verify of a deterministic stage holds).  Errors name the file
 * and the dataset: a missing dataset, a wrong type, a wrong shape.
 *
 * Files read may be broken or hostile: a dataset is read only when the
 * file stores its data (so a forged extent cannot make a reader allocate
 * what the file does not hold), an attribute only when it is one value.
 */
#ifndef CAIRN_H5_H
#define CAIRN_H5_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct h5_file;

enum h5_type {
	H5_UINT8,
	H5_INT16,
	H5_INT32,
	H5_INT64,
	H5_FLOAT32,
	H5_FLOAT64,
};

#define H5_MAX_RANK 8
#define H5_ANY UINT64_MAX	/* in an expected shape: any extent */
/* A chunked (perhaps compressed) dataset holds at most this many times
 * the bytes the file stores of it (deflate's best is about 1032:1 on a
 * whole stream, less per chunk). */
#define H5_MAX_RATIO 1024

const char *h5_type_name(enum h5_type t);
size_t h5_type_size(enum h5_type t);

/* Create (replacing) or open read-only; 0, or -1 with err. */
int h5_create(const char *path, struct h5_file **out, struct err *err);
int h5_open(const char *path, struct h5_file **out, struct err *err);
/* Open the HDF5 file whose bytes are data[0..len) (a copy is taken),
 * read-only; name stands for it in errors (it may be a file that exists;
 * images open at once need names apart).  0, or -1 with err. */
int h5_open_image(const void *data, size_t len, const char *name,
		  struct h5_file **out, struct err *err);
/* The path f was opened or created with. */
const char *h5_path(const struct h5_file *f);
/* Close; for a created file, -1 with err when the data could not be
 * flushed (the file is then incomplete). */
int h5_close(struct h5_file *f, struct err *err);

/* The end of a kind's run: close in (read, errors ignored) and out
 * (written: a failed flush turns rc 0 into -1 with err), then when rc is
 * not 0 remove out's file: a failed run leaves no half-written output.
 * Either may be NULL.  Returns rc. */
int h5_finish(struct h5_file *in, struct h5_file *out, int rc,
	      struct err *err);

/* Write dataset name ("a/b/c": groups made as needed) of rank dims. */
int h5_write(struct h5_file *f, const char *name, enum h5_type t, int rank,
	     const uint64_t *dims, const void *data, struct err *err);

/* Attributes of dataset or group obj ("/" for the file). */
int h5_attr_string(struct h5_file *f, const char *obj, const char *name,
		   const char *value, struct err *err);
int h5_attr_int(struct h5_file *f, const char *obj, const char *name,
		int64_t value, struct err *err);
int h5_attr_double(struct h5_file *f, const char *obj, const char *name,
		   double value, struct err *err);

/*
 * Read dataset name, which must have type t, rank `rank` and, where
 * want[i] is not H5_ANY, extent want[i], and whose data the file stores
 * (as is, or chunked at most H5_MAX_RATIO times smaller); its extents
 * into dims, its data into *data (malloc'd).  0, or -1 with err naming
 * the file and dataset.
 */
int h5_read(struct h5_file *f, const char *name, enum h5_type t, int rank,
	    const uint64_t *want, uint64_t *dims, void **data,
	    struct err *err);

/* The same checks, without reading: the extents into dims. */
int h5_shape(struct h5_file *f, const char *name, enum h5_type t, int rank,
	     const uint64_t *want, uint64_t *dims, struct err *err);

/* The same checks, then rows [first, first + count) of the first
 * dimension into the caller's buffer into. */
int h5_read_rows(struct h5_file *f, const char *name, enum h5_type t,
		 int rank, const uint64_t *want, uint64_t first, uint64_t count,
		 void *into, struct err *err);

/* The members of group (by name order): *names (each and the array
 * malloc'd) and *n; 0, or -1 with err when there is no such group. */
int h5_list(struct h5_file *f, const char *group, char ***names, size_t *n,
	    struct err *err);

/* Attribute reads: 0, or -1 (absent, another type, not one value) with
 * err. */
int h5_attr_get_int(struct h5_file *f, const char *obj, const char *name,
		    int64_t *out, struct err *err);
int h5_attr_get_double(struct h5_file *f, const char *obj, const char *name,
		       double *out, struct err *err);
/* The same, the value checked to lie in [lo, hi]: else -1 with err
 * "'FILE': attribute 'NAME' of 'OBJ': VALUE is out of range (LO to HI)"
 * (NaN is out of every range). */
int h5_attr_int_in(struct h5_file *f, const char *obj, const char *name,
		   int64_t lo, int64_t hi, int64_t *out, struct err *err);
int h5_attr_double_in(struct h5_file *f, const char *obj, const char *name,
		      double lo, double hi, double *out, struct err *err);
/* A fixed-length string attribute into out[0..size). */
int h5_attr_get_string(struct h5_file *f, const char *obj, const char *name,
		       char *out, size_t size, struct err *err);

#endif
