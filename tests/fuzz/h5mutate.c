#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "h5mutate.h"
#include "rng.h"
#include "util.h"

#define MAX_OBJECTS 64
#define MAX_RANK 8

struct dset {
	char name[128];
	int rank;
	hsize_t dims[MAX_RANK];
	H5T_class_t cls;
};

struct attr {
	char obj[128], name[64];
	H5T_class_t cls;
};

struct h5inv {
	struct dset d[MAX_OBJECTS];
	struct attr a[MAX_OBJECTS];
	size_t nd, na;
};

/* ---- the inventory ---- */

static herr_t one_attr(hid_t loc, const char *name, const H5A_info_t *info,
		       void *ctx)
{
	struct h5inv *inv = ((void **)ctx)[0];
	const char *obj = ((void **)ctx)[1];
	hid_t a, t;

	(void)info;
	if (inv->na == MAX_OBJECTS)
		return 0;
	a = H5Aopen(loc, name, H5P_DEFAULT);
	t = H5Aget_type(a);
	snprintf(inv->a[inv->na].obj, sizeof(inv->a[0].obj), "%s", obj);
	snprintf(inv->a[inv->na].name, sizeof(inv->a[0].name), "%s", name);
	inv->a[inv->na++].cls = H5Tget_class(t);
	H5Tclose(t);
	H5Aclose(a);
	return 0;
}

static void attrs_of(hid_t f, const char *obj, struct h5inv *inv)
{
	hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
	hsize_t idx = 0;
	void *ctx[2] = { inv, (void *)obj };

	H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, one_attr, ctx);
	H5Oclose(o);
}

static herr_t one_link(hid_t g, const char *name, const H5L_info_t *info,
		       void *ctx)
{
	struct h5inv *inv = ctx;
	hid_t o = H5Oopen(g, name, H5P_DEFAULT);

	(void)info;
	if (o < 0)
		return 0;
	if (H5Iget_type(o) == H5I_DATASET && inv->nd < MAX_OBJECTS) {
		struct dset *d = &inv->d[inv->nd++];
		hid_t s = H5Dget_space(o), t = H5Dget_type(o);
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->rank = H5Sget_simple_extent_ndims(s);
		if (d->rank > MAX_RANK)
			d->rank = MAX_RANK;
		H5Sget_simple_extent_dims(s, d->dims, NULL);
		d->cls = H5Tget_class(t);
		H5Tclose(t);
		H5Sclose(s);
	}
	H5Oclose(o);
	attrs_of(g, name, inv);
	return 0;
}

struct h5inv *h5inv_take(const char *path)
{
	struct h5inv *inv;
	hid_t f;

	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
		return NULL;
	inv = xcalloc(1, sizeof(*inv));
	attrs_of(f, "/", inv);
	H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, one_link, inv);
	H5Fclose(f);
	return inv;
}

void h5inv_free(struct h5inv *inv)
{
	free(inv);
}

/* ---- changes made with the library ---- */

static const double bad_doubles[] = { NAN, INFINITY, -INFINITY, 0, -1,
				      1e-300, 1e300, -1e300, 3e38, 1e9,
				      2147483647.0, 0.5 };
static const int64_t bad_ints[] = { -1, 0, 1, 2, 7, 255, 65536, 1000000000,
				    2147483647, -2147483647 - 1, INT64_MAX,
				    INT64_MIN };
static const char *const bad_strings[] = { "", "nonsense", "binned",
					   "direct", "max", "a,b,c,d,e,f,g,h,i",
					   "type,pt,eta,phi,e,type" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static size_t pick(struct rng *r, size_t n)
{
	return (size_t)(rng_next(r) % n);
}

/* Attribute name of obj replaced by npoints values of file type t (from
 * memory type m), or deleted (v NULL). */
static int attr_put(hid_t f, const char *obj, const char *name, hid_t t,
		    hid_t m, hsize_t npoints, const void *v)
{
	hid_t o = H5Oopen(f, obj, H5P_DEFAULT), s, a;
	int rc = -1;

	if (o < 0)
		return -1;
	if (H5Aexists(o, name) > 0)
		H5Adelete(o, name);
	if (!v) {
		H5Oclose(o);
		return 0;
	}
	s = npoints == 1 ? H5Screate(H5S_SCALAR)
			 : H5Screate_simple(1, &npoints, NULL);
	a = H5Acreate2(o, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0 && H5Awrite(a, m, v) >= 0)
		rc = 0;
	if (a >= 0)
		H5Aclose(a);
	H5Sclose(s);
	H5Oclose(o);
	return rc;
}

static int string_put(hid_t f, const char *obj, const char *name,
		      const char *v)
{
	hid_t t = H5Tcopy(H5T_C_S1);
	int rc;

	H5Tset_size(t, strlen(v) + 1);
	rc = attr_put(f, obj, name, t, t, 1, v);
	H5Tclose(t);
	return rc;
}

static int mutate_attr(hid_t f, const struct attr *a, struct rng *r,
		       char *what, size_t n)
{
	int64_t iv[3];
	double dv[3];
	char big[400];
	int op = (int)pick(r, 6);

	iv[0] = iv[1] = iv[2] = bad_ints[pick(r, COUNT(bad_ints))];
	dv[0] = dv[1] = dv[2] = bad_doubles[pick(r, COUNT(bad_doubles))];
	if (a->cls == H5T_STRING && op < 2) {
		const char *s = bad_strings[pick(r, COUNT(bad_strings))];
		if (op == 1) {
			memset(big, 'x', sizeof(big) - 1);
			big[sizeof(big) - 1] = 0;
			s = big;
		}
		snprintf(what, n, "attribute '%s' of '%s' = \"%.20s\"", a->name,
			 a->obj, s);
		return string_put(f, a->obj, a->name, s);
	}
	switch (op) {
	case 0:
	case 1:
		if ((a->cls == H5T_INTEGER) == (op == 0)) {
			snprintf(what, n, "attribute '%s' of '%s' = %lld", a->name,
				 a->obj, (long long)iv[0]);
			return attr_put(f, a->obj, a->name, H5T_STD_I64LE,
					H5T_NATIVE_INT64, 1, iv);
		}
		snprintf(what, n, "attribute '%s' of '%s' = %g", a->name, a->obj,
			 dv[0]);
		return attr_put(f, a->obj, a->name, H5T_IEEE_F64LE,
				H5T_NATIVE_DOUBLE, 1, dv);
	case 2:
		snprintf(what, n, "attribute '%s' of '%s' made an array of 3",
			 a->name, a->obj);
		return a->cls == H5T_FLOAT
			       ? attr_put(f, a->obj, a->name, H5T_IEEE_F64LE,
					  H5T_NATIVE_DOUBLE, 3, dv)
			       : attr_put(f, a->obj, a->name, H5T_STD_I64LE,
					  H5T_NATIVE_INT64, 3, iv);
	case 3:
		snprintf(what, n, "attribute '%s' of '%s' made a string",
			 a->name, a->obj);
		return string_put(f, a->obj, a->name, "7");
	case 4:
		snprintf(what, n, "attribute '%s' of '%s' made uint8 %d", a->name,
			 a->obj, (int)(uint8_t)iv[0]);
		{
			uint8_t u = (uint8_t)iv[0];
			return attr_put(f, a->obj, a->name, H5T_STD_U8LE,
					H5T_NATIVE_UINT8, 1, &u);
		}
	default:
		snprintf(what, n, "attribute '%s' of '%s' deleted", a->name,
			 a->obj);
		return attr_put(f, a->obj, a->name, 0, 0, 1, NULL);
	}
}

static hsize_t count_of(int rank, const hsize_t *dims)
{
	hsize_t c = 1;
	int i;

	for (i = 0; i < rank; i++)
		c *= dims[i];
	return c;
}

/*
 * Dataset name replaced by one of type t and extents dims: with data
 * (count_of(dims) values, the old ones repeated, NULL: never written),
 * chunked and compressed when asked.
 */
static int dataset_put(hid_t f, const char *name, hid_t t, int rank,
		       const hsize_t *dims, const double *old, hsize_t nold,
		       int write, int chunked)
{
	hid_t s, p = H5Pcreate(H5P_DATASET_CREATE), d;
	hsize_t c = count_of(rank, dims), i, chunk[MAX_RANK];
	double *v = NULL;
	int rc = -1, k;

	if (H5Ldelete(f, name, H5P_DEFAULT) < 0) {
		H5Pclose(p);
		return -1;
	}
	s = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
	if (chunked && c) {
		for (k = 0; k < rank; k++)
			chunk[k] = dims[k] > 3 ? dims[k] / 2 : dims[k];
		H5Pset_chunk(p, rank, chunk);
		H5Pset_deflate(p, 6);
	}
	d = H5Dcreate2(f, name, t, s, H5P_DEFAULT, p, H5P_DEFAULT);
	if (d >= 0 && write && c) {
		v = xcalloc(c, sizeof(double));
		for (i = 0; i < c && nold; i++)
			v[i] = old[i % nold];
		rc = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
			      v) < 0
			     ? -1
			     : 0;
		free(v);
	} else if (d >= 0) {
		rc = 0;
	}
	if (d >= 0)
		H5Dclose(d);
	H5Sclose(s);
	H5Pclose(p);
	return rc;
}

/* Cairn's types (little- or big-endian) and one it does not read. */
static hid_t other_type(size_t k)
{
	switch (k) {
	case 0: return H5T_STD_U8LE;
	case 1: return H5T_STD_I16LE;
	case 2: return H5T_STD_I32LE;
	case 3: return H5T_STD_I64LE;
	case 4: return H5T_IEEE_F32LE;
	case 5: return H5T_IEEE_F64LE;
	case 6: return H5T_STD_I32BE;
	default: return H5T_STD_U32LE;
	}
}

static int mutate_dataset(hid_t f, const struct dset *ds, struct rng *r,
			  char *what, size_t n)
{
	hsize_t dims[MAX_RANK], c = count_of(ds->rank, ds->dims), i = 0;
	hid_t d = H5Dopen2(f, ds->name, H5P_DEFAULT), t;
	double *old;
	int rank = ds->rank, op = (int)pick(r, 9), ax, rc;

	if (d < 0)
		return -1;
	t = H5Dget_type(d);
	old = xcalloc(c + 1, sizeof(double));
	if (c && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
			 old) < 0) {
		H5Tclose(t);
		H5Dclose(d);
		free(old);
		return -1;
	}
	H5Dclose(d);
	memcpy(dims, ds->dims, sizeof(dims));
	ax = rank ? (int)pick(r, (size_t)rank) : 0;
	switch (op) {
	case 0:		/* 10^9 times the rows: a header only */
		dims[0] = rank ? (dims[0] + 1) * 1000000000ull : 0;
		snprintf(what, n, "dataset '%s': rows x 10^9 (a header only)",
			 ds->name);
		rc = dataset_put(f, ds->name, t, rank, dims, NULL, 0, 0, 0);
		break;
	case 1:
		if (rank)
			dims[ax] = 1ull << 40;
		snprintf(what, n, "dataset '%s': extent %d = 2^40 (a header only)",
			 ds->name, ax);
		rc = dataset_put(f, ds->name, t, rank, dims, NULL, 0, 0,
				 pick(r, 2) == 0);
		break;
	case 2:
		if (rank)
			dims[ax] = pick(r, 3) == 0 ? 0
				   : dims[ax] ? dims[ax] - 1 + 2 * pick(r, 2)
					      : 1;
		snprintf(what, n, "dataset '%s': extent %d = %llu", ds->name, ax,
			 rank ? (unsigned long long)dims[ax] : 0ull);
		rc = dataset_put(f, ds->name, t, rank, dims, old, c, 1, 0);
		break;
	case 3:
		if (rank > 1 && pick(r, 2)) {
			dims[rank - 2] *= dims[rank - 1];
			rank--;
		} else if (rank < MAX_RANK) {
			dims[rank++] = 1;
		}
		snprintf(what, n, "dataset '%s': rank %d", ds->name, rank);
		rc = dataset_put(f, ds->name, t, rank, dims, old, c, 1, 0);
		break;
	case 4: {
		hid_t nt = other_type(pick(r, 8));
		snprintf(what, n, "dataset '%s': another type", ds->name);
		rc = dataset_put(f, ds->name, nt, rank, dims, old, c, 1, 0);
		break;
	}
	case 5: {
		int k, m = 1 + (int)pick(r, 3);
		for (k = 0; k < m && c; k++) {
			i = pick(r, (size_t)c);
			old[i] = ds->cls == H5T_FLOAT
					 ? bad_doubles[pick(r, COUNT(bad_doubles))]
					 : (double)bad_ints[pick(r, 10)];
		}
		snprintf(what, n, "dataset '%s': %d bad values (last %g)",
			 ds->name, m, c ? old[i] : 0.0);
		rc = dataset_put(f, ds->name, t, rank, dims, old, c, 1, 0);
		break;
	}
	case 6:
		snprintf(what, n, "dataset '%s': never written", ds->name);
		rc = dataset_put(f, ds->name, t, rank, dims, NULL, 0, 0, 0);
		break;
	case 7:
		snprintf(what, n, "dataset '%s': chunked, compressed", ds->name);
		rc = dataset_put(f, ds->name, t, rank, dims, old, c, 1, 1);
		break;
	default:
		snprintf(what, n, "dataset '%s' deleted", ds->name);
		rc = H5Ldelete(f, ds->name, H5P_DEFAULT) < 0 ? -1 : 0;
		break;
	}
	H5Tclose(t);
	free(old);
	return rc;
}

/* ---- changes to the bytes ---- */

static int raw(const char *out, const struct h5inv *inv, struct rng *r,
	       char *what, size_t n)
{
	struct buf b = BUF_INIT;
	FILE *fp;
	int op = (int)pick(r, 3);
	size_t at;

	if (buf_read_file(&b, out) < 0 || !b.len) {
		buf_release(&b);
		return -1;
	}
	at = pick(r, b.len);
	if (op == 0) {
		snprintf(what, n, "truncated to %zu of %zu bytes", at, b.len);
		buf_truncate(&b, at);
	} else if (op == 1) {
		int bit = (int)pick(r, 8);
		snprintf(what, n, "bit %d of byte %zu flipped", bit, at);
		b.data[at] ^= (char)(1 << bit);
	} else {
		/* A byte of a dataset's raw data: values, not structure. */
		const struct dset *ds = inv->nd ? &inv->d[pick(r, inv->nd)] : NULL;
		hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT), d;
		haddr_t off = HADDR_UNDEF;
		hsize_t size = 0;

		if (f >= 0 && ds &&
		    (d = H5Dopen2(f, ds->name, H5P_DEFAULT)) >= 0) {
			off = H5Dget_offset(d);
			size = H5Dget_storage_size(d);
			H5Dclose(d);
		}
		if (f >= 0)
			H5Fclose(f);
		if (off == HADDR_UNDEF || !size || off + size > b.len) {
			buf_release(&b);
			return -1;
		}
		at = (size_t)off + pick(r, (size_t)size);
		b.data[at] = (char)rng_next(r);
		snprintf(what, n, "dataset '%s': raw byte %zu set", ds->name,
			 at - (size_t)off);
	}
	fp = fopen(out, "wb");
	if (!fp || fwrite(b.data, 1, b.len, fp) != b.len) {
		if (fp)
			fclose(fp);
		buf_release(&b);
		return -1;
	}
	fclose(fp);
	buf_release(&b);
	return 0;
}

static int copy(const char *in, const char *out)
{
	struct buf b = BUF_INIT;
	FILE *fp = fopen(out, "wb");
	int rc = -1;

	if (fp && buf_read_file(&b, in) == 0 &&
	    fwrite(b.data, 1, b.len, fp) == b.len)
		rc = 0;
	if (fp && fclose(fp))
		rc = -1;
	buf_release(&b);
	return rc;
}

int h5_mutate(const struct h5inv *inv, const char *in, const char *out,
	      struct rng *r, char *what, size_t n)
{
	size_t kind = pick(r, 10);
	hid_t f;
	int rc;

	if (copy(in, out))
		return -1;
	if (kind == 0)
		return raw(out, inv, r, what, n) < 0 ? -1 : 1;
	if ((f = H5Fopen(out, H5F_ACC_RDWR, H5P_DEFAULT)) < 0)
		return -1;
	if (kind < 5 && inv->na)
		rc = mutate_attr(f, &inv->a[pick(r, inv->na)], r, what, n);
	else if (inv->nd)
		rc = mutate_dataset(f, &inv->d[pick(r, inv->nd)], r, what, n);
	else
		rc = -1;
	if (H5Fclose(f) < 0)
		rc = -1;
	return rc;
}
