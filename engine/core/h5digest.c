/*
 * The HDF5 content digest.  The file is walked from its root group: a
 * group's members in byte order of their names, each group or dataset
 * with its attributes (in name order) before its members or data.  The
 * SHA-256 is taken over this stream (every integer little-endian):
 *
 *   "cairn-hdf5-1\n"
 *   group:     'G' name attrs u64:members member...
 *   dataset:   'D' name type shape attrs data
 *   attrs:     u64:count ( 'A' name type shape data )...
 *   name:      u32:length bytes
 *   type:      class ('i' signed, 'u' unsigned, 'f' IEEE float, 's'
 *              fixed-length string) u32:size in bytes
 *   shape:     u8:rank u64:extent...
 *   data:      u64:bytes, then the elements in row-major order, numbers
 *              little-endian, strings as stored
 *
 * The root group's name is "/".  Storage (contiguous, chunked,
 * compressed), object timestamps, the order of creation and the file's
 * own layout do not enter.
 */
#include <hdf5.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "h5digest.h"
#include "util.h"

#define SLAB_BYTES ((size_t)16 << 20)

struct walk {
	struct sha256 *sha;
	const char *path;
	struct err *err;
};

static void u8(struct walk *w, unsigned v)
{
	unsigned char b = (unsigned char)v;

	sha256_update(w->sha, &b, 1);
}

static void u32le(struct walk *w, uint32_t v)
{
	unsigned char b[4];
	int i;

	for (i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	sha256_update(w->sha, b, 4);
}

static void u64le(struct walk *w, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	sha256_update(w->sha, b, 8);
}

static void name(struct walk *w, const char *s)
{
	u32le(w, (uint32_t)strlen(s));
	sha256_update(w->sha, s, strlen(s));
}

/* The type's class and size, and the memory type to read it as (a
 * little-endian copy); -1 when the digest does not cover it. */
static int type_of(struct walk *w, hid_t t, char *cls, size_t *size,
		   hid_t *mem)
{
	H5T_class_t c = H5Tget_class(t);

	*size = H5Tget_size(t);
	*mem = -1;
	if (c == H5T_INTEGER) {
		int sign = H5Tget_sign(t) == H5T_SGN_2;
		*cls = sign ? 'i' : 'u';
		*mem = H5Tcopy(*size == 1   ? (sign ? H5T_STD_I8LE : H5T_STD_U8LE)
			       : *size == 2 ? (sign ? H5T_STD_I16LE : H5T_STD_U16LE)
			       : *size == 4 ? (sign ? H5T_STD_I32LE : H5T_STD_U32LE)
			       : *size == 8 ? (sign ? H5T_STD_I64LE : H5T_STD_U64LE)
					    : H5T_STD_U8LE);
		if (*size != 1 && *size != 2 && *size != 4 && *size != 8)
			goto unsupported;
		return 0;
	}
	if (c == H5T_FLOAT && (*size == 4 || *size == 8)) {
		*cls = 'f';
		*mem = H5Tcopy(*size == 4 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE);
		return 0;
	}
	if (c == H5T_STRING && H5Tis_variable_str(t) == 0) {
		*cls = 's';
		*mem = H5Tcopy(t);
		return 0;
	}
unsupported:
	if (*mem >= 0)
		H5Tclose(*mem);
	*mem = -1;
	return err_set(w->err, "'%s': a type the HDF5 digest does not cover",
		       w->path);
}

/* Type and shape of space s; the element count into *n; -1 if null. */
static int shape(struct walk *w, hid_t s, uint64_t *n)
{
	hsize_t dims[H5S_MAX_RANK];
	int rank = H5Sget_simple_extent_ndims(s), i;

	if (rank < 0 || H5Sget_simple_extent_type(s) == H5S_NULL)
		return err_set(w->err, "'%s': an empty dataspace", w->path);
	H5Sget_simple_extent_dims(s, dims, NULL);
	u8(w, (unsigned)rank);
	*n = 1;
	for (i = 0; i < rank; i++) {
		u64le(w, dims[i]);
		*n *= dims[i];
	}
	return 0;
}

static int attr_one(struct walk *w, hid_t obj, const char *aname)
{
	hid_t a = H5Aopen(obj, aname, H5P_DEFAULT), t = -1, s = -1, mem = -1;
	size_t size;
	uint64_t n;
	char cls;
	void *buf = NULL;
	int rc = -1;

	if (a < 0)
		return err_set(w->err, "'%s': cannot open attribute '%s'", w->path,
			       aname);
	t = H5Aget_type(a);
	s = H5Aget_space(a);
	u8(w, 'A');
	name(w, aname);
	if (type_of(w, t, &cls, &size, &mem) < 0)
		goto out;
	u8(w, (unsigned)cls);
	u32le(w, (uint32_t)size);
	if (shape(w, s, &n) < 0)
		goto out;
	buf = xcalloc(n * size + 1, 1);
	if (H5Aread(a, mem, buf) < 0) {
		err_set(w->err, "'%s': cannot read attribute '%s'", w->path, aname);
		goto out;
	}
	u64le(w, n * size);
	sha256_update(w->sha, buf, n * size);
	rc = 0;
out:
	free(buf);
	if (mem >= 0)
		H5Tclose(mem);
	H5Sclose(s);
	H5Tclose(t);
	H5Aclose(a);
	return rc;
}

struct names {
	char **v;
	size_t n;
};

static herr_t add_name(hid_t id, const char *nm, const void *info, void *ctx)
{
	struct names *ns = ctx;

	(void)id, (void)info;
	ns->v = xrealloc(ns->v, (ns->n + 1) * sizeof(char *));
	ns->v[ns->n++] = xstrdup(nm);
	return 0;
}

static herr_t add_attr(hid_t id, const char *nm, const H5A_info_t *info,
		       void *ctx)
{
	return add_name(id, nm, info, ctx);
}

static herr_t add_link(hid_t id, const char *nm, const H5L_info_t *info,
		       void *ctx)
{
	return add_name(id, nm, info, ctx);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static int attrs(struct walk *w, hid_t obj)
{
	struct names ns = { NULL, 0 };
	hsize_t idx = 0;
	size_t i;
	int rc = 0;

	if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, add_attr,
			&ns) < 0) {
		names_free(&ns);
		return err_set(w->err, "'%s': cannot list attributes", w->path);
	}
	if (ns.n)
		qsort(ns.v, ns.n, sizeof(char *), cmp_name);
	u64le(w, ns.n);
	for (i = 0; i < ns.n && !rc; i++)
		rc = attr_one(w, obj, ns.v[i]);
	names_free(&ns);
	return rc;
}

static int dataset(struct walk *w, hid_t d)
{
	hid_t t = H5Dget_type(d), s = H5Dget_space(d), mem = -1;
	hsize_t dims[H5S_MAX_RANK];
	uint64_t n, row = 1, rows, at;
	size_t size;
	char cls;
	void *buf = NULL;
	int rank, i, rc = -1;

	if (type_of(w, t, &cls, &size, &mem) < 0)
		goto out;
	u8(w, (unsigned)cls);
	u32le(w, (uint32_t)size);
	if (shape(w, s, &n) < 0 || attrs(w, d) < 0)
		goto out;
	u64le(w, n * size);
	rank = H5Sget_simple_extent_ndims(s);
	H5Sget_simple_extent_dims(s, dims, NULL);
	if (rank == 0 || n * size <= SLAB_BYTES) {
		buf = xcalloc(n * size + 1, 1);
		if (n && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
			goto unreadable;
		sha256_update(w->sha, buf, n * size);
		rc = 0;
		goto out;
	}
	/* Large: slabs of whole rows along the first dimension. */
	for (i = 1; i < rank; i++)
		row *= dims[i];
	rows = SLAB_BYTES / (row * size) ? SLAB_BYTES / (row * size) : 1;
	buf = xcalloc(rows * row * size, 1);
	for (at = 0; at < dims[0]; at += rows) {
		hsize_t start[H5S_MAX_RANK] = { 0 }, count[H5S_MAX_RANK];
		uint64_t k = dims[0] - at < rows ? dims[0] - at : rows;
		hid_t ms;
		herr_t e;
		start[0] = at;
		count[0] = k;
		for (i = 1; i < rank; i++)
			count[i] = dims[i];
		H5Sselect_hyperslab(s, H5S_SELECT_SET, start, NULL, count, NULL);
		ms = H5Screate_simple(rank, count, NULL);
		e = H5Dread(d, mem, ms, s, H5P_DEFAULT, buf);
		H5Sclose(ms);
		if (e < 0)
			goto unreadable;
		sha256_update(w->sha, buf, k * row * size);
	}
	rc = 0;
	goto out;
unreadable:
	err_set(w->err, "'%s': cannot read a dataset", w->path);
out:
	free(buf);
	if (mem >= 0)
		H5Tclose(mem);
	H5Sclose(s);
	H5Tclose(t);
	return rc;
}

static int object(struct walk *w, hid_t parent, const char *nm, int depth)
{
	H5O_info_t info;
	H5L_info_t link;
	hid_t o;
	int rc = -1;

	if (depth > 64)
		return err_set(w->err, "'%s': groups nested too deeply", w->path);
	if (strcmp(nm, "/") &&
	    (H5Lget_info(parent, nm, &link, H5P_DEFAULT) < 0 ||
	     link.type != H5L_TYPE_HARD))
		return err_set(w->err, "'%s': a soft or external link", w->path);
	if ((o = H5Oopen(parent, nm, H5P_DEFAULT)) < 0)
		return err_set(w->err, "'%s': cannot open '%s'", w->path, nm);
	if (H5Oget_info2(o, &info, H5O_INFO_BASIC) < 0) {
		err_set(w->err, "'%s': cannot read '%s'", w->path, nm);
	} else if (info.type == H5O_TYPE_GROUP) {
		struct names ns = { NULL, 0 };
		hsize_t idx = 0;
		size_t i;
		u8(w, 'G');
		name(w, nm);
		if (attrs(w, o) == 0 &&
		    H5Literate(o, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, add_link,
				&ns) >= 0) {
			if (ns.n)
				qsort(ns.v, ns.n, sizeof(char *), cmp_name);
			u64le(w, ns.n);
			for (rc = 0, i = 0; i < ns.n && !rc; i++)
				rc = object(w, o, ns.v[i], depth + 1);
		}
		names_free(&ns);
	} else if (info.type == H5O_TYPE_DATASET) {
		u8(w, 'D');
		name(w, nm);
		rc = dataset(w, o);
	} else {
		err_set(w->err, "'%s': '%s' is a named type", w->path, nm);
	}
	H5Oclose(o);
	return rc;
}

int h5_digest(const char *path, struct digest *out, struct err *err)
{
	struct walk w = { NULL, path, err };
	hid_t f;
	int rc;

	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	if (H5Fis_hdf5(path) <= 0)
		return err_set(err, "'%s' is not an HDF5 file", path);
	if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
		return err_set(err, "cannot open '%s' as HDF5", path);
	w.sha = sha256_new();
	sha256_update(w.sha, "cairn-hdf5-1\n", 13);
	rc = object(&w, f, "/", 0);
	sha256_final(w.sha, out);
	H5Fclose(f);
	return rc;
}
