#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "util.h"

struct h5_file {
	hid_t id;
	char *path;
	int writing;
	uint64_t size;		/* read: the file's size when opened */
};

static const struct {
	const char *name;
	size_t size;
	int is_float, is_signed;
} types[] = {
	[H5_UINT8] = { "uint8", 1, 0, 0 },
	[H5_INT16] = { "int16", 2, 0, 1 },
	[H5_INT32] = { "int32", 4, 0, 1 },
	[H5_INT64] = { "int64", 8, 0, 1 },
	[H5_FLOAT32] = { "float32", 4, 1, 1 },
	[H5_FLOAT64] = { "float64", 8, 1, 1 },
};

const char *h5_type_name(enum h5_type t)
{
	return types[t].name;
}

size_t h5_type_size(enum h5_type t)
{
	return types[t].size;
}

/* In memory (native) and on disk (little-endian, fixed). */
static hid_t mem_type(enum h5_type t)
{
	switch (t) {
	case H5_UINT8: return H5T_NATIVE_UINT8;
	case H5_INT16: return H5T_NATIVE_INT16;
	case H5_INT32: return H5T_NATIVE_INT32;
	case H5_INT64: return H5T_NATIVE_INT64;
	case H5_FLOAT32: return H5T_NATIVE_FLOAT;
	case H5_FLOAT64: return H5T_NATIVE_DOUBLE;
	}
	return H5T_NATIVE_UINT8;
}

static hid_t file_type(enum h5_type t)
{
	switch (t) {
	case H5_UINT8: return H5T_STD_U8LE;
	case H5_INT16: return H5T_STD_I16LE;
	case H5_INT32: return H5T_STD_I32LE;
	case H5_INT64: return H5T_STD_I64LE;
	case H5_FLOAT32: return H5T_IEEE_F32LE;
	case H5_FLOAT64: return H5T_IEEE_F64LE;
	}
	return H5T_STD_U8LE;
}

/* The library prints its error stack by default: cairn says what failed. */
static void quiet(void)
{
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static int open_file(const char *path, int create, struct h5_file **out,
		     struct err *err)
{
	struct h5_file *f;
	hid_t id, fcpl = H5P_DEFAULT;
	struct stat st;

	quiet();
	*out = NULL;
	if (create) {
		/* No timestamps on the root group either. */
		fcpl = H5Pcreate(H5P_FILE_CREATE);
		H5Pset_obj_track_times(fcpl, 0);
		id = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
		H5Pclose(fcpl);
	} else {
		id = H5Fis_hdf5(path) > 0
			     ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)
			     : H5I_INVALID_HID;
	}
	if (id < 0)
		return err_set(err, create ? "cannot create HDF5 file '%s'"
					   : "'%s' is not a readable HDF5 file",
			       path);
	f = xcalloc(1, sizeof(*f));
	f->id = id;
	f->path = xstrdup(path);
	f->writing = create;
	f->size = !create && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
	*out = f;
	return 0;
}

int h5_create(const char *path, struct h5_file **out, struct err *err)
{
	return open_file(path, 1, out, err);
}

int h5_open(const char *path, struct h5_file **out, struct err *err)
{
	return open_file(path, 0, out, err);
}

/* HDF5's signature, at 0 or at a user block's end (512, 1024, ...). */
static int has_signature(const unsigned char *p, size_t len)
{
	static const unsigned char sig[8] = { 0x89, 'H', 'D', 'F',
					      '\r', '\n', 0x1a, '\n' };
	size_t at;

	for (at = 0; at + 8 <= len; at = at ? at * 2 : 512)
		if (!memcmp(p + at, sig, 8))
			return 1;
	return 0;
}

int h5_open_image(const void *data, size_t len, const char *name,
		  struct h5_file **out, struct err *err)
{
	struct h5_file *f;
	struct buf inmem = BUF_INIT;
	hid_t fapl, id = H5I_INVALID_HID;

	quiet();
	*out = NULL;
	if (!has_signature(data, len))
		return err_set(err, "'%s' is not a readable HDF5 file", name);
	fapl = H5Pcreate(H5P_FILE_ACCESS);
	/* In memory, never written back; the library copies the image.  It
	 * refuses an image whose name is a file that exists ("file already
	 * exists": the report names an output by its workspace path), so the
	 * library is given name under /dev/null, which no file can be (it
	 * is no folder); images open at once are told apart by that name. */
	buf_adds(&inmem, "/dev/null/");
	buf_adds(&inmem, name);
	if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 &&
	    H5Pset_file_image(fapl, (void *)data, len) >= 0)
		id = H5Fopen(inmem.data, H5F_ACC_RDONLY, fapl);
	buf_release(&inmem);
	if (fapl >= 0)
		H5Pclose(fapl);
	if (id < 0)
		return err_set(err, "'%s' is not a readable HDF5 file", name);
	f = xcalloc(1, sizeof(*f));
	f->id = id;
	f->path = xstrdup(name);
	f->size = len;
	*out = f;
	return 0;
}

const char *h5_path(const struct h5_file *f)
{
	return f->path;
}

int h5_close(struct h5_file *f, struct err *err)
{
	int rc = 0;

	if (!f)
		return 0;
	if (f->writing && H5Fflush(f->id, H5F_SCOPE_GLOBAL) < 0)
		rc = err_set(err, "cannot write HDF5 file '%s'", f->path);
	if (H5Fclose(f->id) < 0 && !rc)
		rc = err_set(err, "cannot close HDF5 file '%s'", f->path);
	free(f->path);
	free(f);
	return rc;
}

/* Make every group on the way to name (without timestamps). */
static int groups_for(struct h5_file *f, const char *name, struct err *err)
{
	char *p = xstrdup(name), *slash;
	hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
	int rc = 0;

	H5Pset_obj_track_times(gcpl, 0);
	for (slash = strchr(p + 1, '/'); slash && !rc;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (H5Lexists(f->id, p, H5P_DEFAULT) <= 0) {
			hid_t g = H5Gcreate2(f->id, p, H5P_DEFAULT, gcpl,
					     H5P_DEFAULT);
			if (g < 0)
				rc = err_set(err, "'%s': cannot create group '%s'",
					     f->path, p);
			else
				H5Gclose(g);
		}
		*slash = '/';
	}
	H5Pclose(gcpl);
	free(p);
	return rc;
}

int h5_write(struct h5_file *f, const char *name, enum h5_type t, int rank,
	     const uint64_t *dims, const void *data, struct err *err)
{
	hsize_t d[H5_MAX_RANK];
	hid_t space, dcpl, set;
	int i, rc = 0;

	if (rank < 0 || rank > H5_MAX_RANK)
		return err_set(err, "'%s': dataset '%s' has rank %d (at most %d)",
			       f->path, name, rank, H5_MAX_RANK);
	if (groups_for(f, name, err) < 0)
		return -1;
	for (i = 0; i < rank; i++)
		d[i] = (hsize_t)dims[i];
	space = rank ? H5Screate_simple(rank, d, NULL) : H5Screate(H5S_SCALAR);
	dcpl = H5Pcreate(H5P_DATASET_CREATE);
	H5Pset_obj_track_times(dcpl, 0);
	set = H5Dcreate2(f->id, name, file_type(t), space, H5P_DEFAULT, dcpl,
			 H5P_DEFAULT);
	if (set < 0)
		rc = err_set(err, "'%s': cannot create dataset '%s'", f->path,
			     name);
	else if (H5Dwrite(set, mem_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT,
			  data) < 0)
		rc = err_set(err, "'%s': cannot write dataset '%s'", f->path,
			     name);
	if (set >= 0)
		H5Dclose(set);
	H5Pclose(dcpl);
	H5Sclose(space);
	return rc;
}

static int attr_write(struct h5_file *f, const char *obj, const char *name,
		      hid_t ftype, hid_t mtype, const void *value,
		      struct err *err)
{
	hid_t o = H5Oopen(f->id, obj, H5P_DEFAULT), space, a;
	int rc = 0;

	if (o < 0)
		return err_set(err, "'%s': no object '%s' for attribute '%s'",
			       f->path, obj, name);
	space = H5Screate(H5S_SCALAR);
	if (H5Aexists(o, name) > 0)
		H5Adelete(o, name);
	a = H5Acreate2(o, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0 || H5Awrite(a, mtype, value) < 0)
		rc = err_set(err, "'%s': cannot write attribute '%s' of '%s'",
			     f->path, name, obj);
	if (a >= 0)
		H5Aclose(a);
	H5Sclose(space);
	H5Oclose(o);
	return rc;
}

int h5_attr_string(struct h5_file *f, const char *obj, const char *name,
		   const char *value, struct err *err)
{
	hid_t t = H5Tcopy(H5T_C_S1);
	int rc;

	H5Tset_size(t, strlen(value) + 1);
	H5Tset_strpad(t, H5T_STR_NULLTERM);
	H5Tset_cset(t, H5T_CSET_UTF8);
	rc = attr_write(f, obj, name, t, t, value, err);
	H5Tclose(t);
	return rc;
}

int h5_attr_int(struct h5_file *f, const char *obj, const char *name,
		int64_t value, struct err *err)
{
	return attr_write(f, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value,
			  err);
}

int h5_attr_double(struct h5_file *f, const char *obj, const char *name,
		   double value, struct err *err)
{
	return attr_write(f, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
			  &value, err);
}

/* What a stored type is, or -1 when it is none of cairn's. */
static int type_of(hid_t t)
{
	H5T_class_t c = H5Tget_class(t);
	size_t size = H5Tget_size(t);
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (types[i].size != size)
			continue;
		if (c == H5T_FLOAT && types[i].is_float)
			return (int)i;
		if (c == H5T_INTEGER && !types[i].is_float &&
		    (H5Tget_sign(t) == H5T_SGN_2) == types[i].is_signed)
			return (int)i;
	}
	return -1;
}

static void shape_text(struct buf *b, int rank, const uint64_t *d)
{
	int i;

	buf_addc(b, '[');
	for (i = 0; i < rank; i++) {
		if (i)
			buf_adds(b, ", ");
		if (d[i] == H5_ANY)
			buf_addc(b, '*');
		else
			buf_addf(b, "%llu", (unsigned long long)d[i]);
	}
	buf_addc(b, ']');
}

/*
 * Whether the file holds the data of dataset set (rank extents d of type
 * t): stored as is (contiguous, compact), at most the bytes it stores;
 * chunked, perhaps compressed, at most H5_MAX_RATIO times them; and
 * never more than the file's size allows.  So an extent in a forged
 * header, or data never written, cannot make a reader allocate what the
 * file does not hold.
 */
static int check_stored(struct h5_file *f, const char *name, hid_t set,
			int rank, const uint64_t *d, enum h5_type t,
			struct err *err)
{
	uint64_t bytes = types[t].size, stored, limit;
	hid_t plist = H5Dget_create_plist(set);
	int chunked = plist >= 0 && H5Pget_layout(plist) == H5D_CHUNKED, i;
	struct buf b = BUF_INIT;

	if (plist >= 0)
		H5Pclose(plist);
	for (i = 0; i < rank; i++)
		bytes = !d[i] ? 0 : bytes > UINT64_MAX / d[i] ? UINT64_MAX
							       : bytes * d[i];
	stored = (uint64_t)H5Dget_storage_size(set);
	if (stored > f->size)
		stored = f->size;
	limit = !chunked ? stored
	      : stored > UINT64_MAX / H5_MAX_RATIO ? UINT64_MAX
						   : stored * H5_MAX_RATIO;
	if (bytes <= limit)
		return 0;
	shape_text(&b, rank, d);
	if (bytes == UINT64_MAX)
		err_set(err, "'%s': dataset '%s' has shape %s (over 2^64 bytes), "
			     "but the file stores %llu bytes of it",
			f->path, name, b.data, (unsigned long long)stored);
	else
		err_set(err, "'%s': dataset '%s' has shape %s (%llu bytes), but "
			     "the file stores %llu bytes of it%s",
			f->path, name, b.data, (unsigned long long)bytes,
			(unsigned long long)stored,
			chunked ? ", too few even compressed" : "");
	buf_release(&b);
	return -1;
}

/* Open dataset name, checked to have type t, rank `rank` and the extents
 * want asks for; its extents into dims.  0, or -1 with err. */
static int open_checked(struct h5_file *f, const char *name, enum h5_type t,
			int rank, const uint64_t *want, uint64_t *dims,
			hid_t *set, hid_t *space, struct err *err)
{
	hsize_t d[H5_MAX_RANK];
	uint64_t have[H5_MAX_RANK];
	hid_t ftype;
	int i, r, k, ok;

	if (H5Lexists(f->id, name, H5P_DEFAULT) <= 0 ||
	    (*set = H5Dopen2(f->id, name, H5P_DEFAULT)) < 0)
		return err_set(err, "'%s': no dataset '%s'", f->path, name);
	ftype = H5Dget_type(*set);
	*space = H5Dget_space(*set);
	k = type_of(ftype);
	H5Tclose(ftype);
	r = H5Sget_simple_extent_ndims(*space);
	if (k != (int)t) {
		err_set(err, "'%s': dataset '%s' is %s, expected %s", f->path, name,
			k < 0 ? "of another type" : types[k].name, types[t].name);
		goto bad;
	}
	if (r < 0 || r > H5_MAX_RANK)
		r = -1;
	else
		H5Sget_simple_extent_dims(*space, d, NULL);
	for (i = 0; i < r; i++)
		have[i] = (uint64_t)d[i];
	ok = r == rank;
	for (i = 0; ok && i < rank; i++)
		ok = want[i] == H5_ANY || want[i] == have[i];
	if (!ok) {
		struct buf a = BUF_INIT, b = BUF_INIT;
		if (r >= 0)
			shape_text(&a, r, have);
		else
			buf_adds(&a, "(not simple)");
		shape_text(&b, rank, want);
		err_set(err, "'%s': dataset '%s' has shape %s, expected %s",
			f->path, name, a.data, b.data);
		buf_release(&a);
		buf_release(&b);
		goto bad;
	}
	if (check_stored(f, name, *set, r, have, t, err))
		goto bad;
	for (i = 0; i < rank; i++)
		dims[i] = have[i];
	return 0;
bad:
	H5Sclose(*space);
	H5Dclose(*set);
	return -1;
}

int h5_read(struct h5_file *f, const char *name, enum h5_type t, int rank,
	    const uint64_t *want, uint64_t *dims, void **data,
	    struct err *err)
{
	hid_t set, space;
	size_t n = 1;
	int i, rc = -1;

	*data = NULL;
	if (open_checked(f, name, t, rank, want, dims, &set, &space, err))
		return -1;
	for (i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	*data = xmalloc(n * types[t].size + 1);
	if (n && H5Dread(set, mem_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT,
			 *data) < 0) {
		free(*data);
		*data = NULL;
		err_set(err, "'%s': cannot read dataset '%s'", f->path, name);
		goto out;
	}
	rc = 0;
out:
	H5Sclose(space);
	H5Dclose(set);
	return rc;
}

int h5_shape(struct h5_file *f, const char *name, enum h5_type t, int rank,
	     const uint64_t *want, uint64_t *dims, struct err *err)
{
	hid_t set, space;

	if (open_checked(f, name, t, rank, want, dims, &set, &space, err))
		return -1;
	H5Sclose(space);
	H5Dclose(set);
	return 0;
}

int h5_read_rows(struct h5_file *f, const char *name, enum h5_type t,
		 int rank, const uint64_t *want, uint64_t first, uint64_t count,
		 void *into, struct err *err)
{
	hsize_t start[H5_MAX_RANK] = { 0 }, n[H5_MAX_RANK];
	uint64_t dims[H5_MAX_RANK];
	hid_t set, space, mem;
	int i, rc = -1;

	if (open_checked(f, name, t, rank, want, dims, &set, &space, err))
		return -1;
	if (rank < 1 || first > dims[0] || count > dims[0] - first) {
		err_set(err, "'%s': dataset '%s' has no rows %llu to %llu", f->path,
			name, (unsigned long long)first,
			(unsigned long long)(first + count) - 1);
		goto out;
	}
	start[0] = first;
	n[0] = count;
	for (i = 1; i < rank; i++)
		n[i] = dims[i];
	if (!count) {
		rc = 0;
		goto out;
	}
	H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, n, NULL);
	mem = H5Screate_simple(rank, n, NULL);
	if (H5Dread(set, mem_type(t), mem, space, H5P_DEFAULT, into) < 0)
		err_set(err, "'%s': cannot read dataset '%s'", f->path, name);
	else
		rc = 0;
	H5Sclose(mem);
out:
	H5Sclose(space);
	H5Dclose(set);
	return rc;
}

/* Open attribute name of obj: its object, itself and its type; 0 or -1. */
static int attr_open(struct h5_file *f, const char *obj, const char *name,
		     hid_t *o, hid_t *a, hid_t *t, struct err *err)
{
	hssize_t n;
	hid_t s;

	if ((*o = H5Oopen(f->id, obj, H5P_DEFAULT)) < 0)
		return err_set(err, "'%s': no object '%s'", f->path, obj);
	if (H5Aexists(*o, name) <= 0) {
		err_set(err, "'%s': '%s' has no attribute '%s'", f->path, obj, name);
		H5Oclose(*o);
		return -1;
	}
	*a = H5Aopen(*o, name, H5P_DEFAULT);
	*t = *a >= 0 ? H5Aget_type(*a) : H5I_INVALID_HID;
	if (*t < 0) {
		err_set(err, "'%s': cannot read attribute '%s' of '%s'", f->path,
			name, obj);
		goto bad;
	}
	/* One value: reading more would overrun the caller's. */
	s = H5Aget_space(*a);
	n = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
	if (s >= 0)
		H5Sclose(s);
	if (n != 1) {
		err_set(err, "'%s': attribute '%s' of '%s' has %lld values, "
			     "expected one",
			f->path, name, obj, (long long)n);
		H5Tclose(*t);
		goto bad;
	}
	return 0;
bad:
	if (*a >= 0)
		H5Aclose(*a);
	H5Oclose(*o);
	return -1;
}

static int attr_read(struct h5_file *f, const char *obj, const char *name,
		     hid_t mtype, H5T_class_t want, void *out, struct err *err)
{
	hid_t o, a = -1, t = -1;
	int rc = -1;

	if (attr_open(f, obj, name, &o, &a, &t, err))
		return -1;
	if (H5Tget_class(t) != want)
		err_set(err, "'%s': attribute '%s' of '%s' is not %s", f->path, name,
			obj, want == H5T_INTEGER ? "an integer" : "a number");
	else if (H5Aread(a, mtype, out) < 0)
		err_set(err, "'%s': cannot read attribute '%s' of '%s'", f->path,
			name, obj);
	else
		rc = 0;
	H5Tclose(t);
	H5Aclose(a);
	H5Oclose(o);
	return rc;
}

int h5_attr_get_int(struct h5_file *f, const char *obj, const char *name,
		    int64_t *out, struct err *err)
{
	return attr_read(f, obj, name, H5T_NATIVE_INT64, H5T_INTEGER, out, err);
}

int h5_attr_get_double(struct h5_file *f, const char *obj, const char *name,
		       double *out, struct err *err)
{
	return attr_read(f, obj, name, H5T_NATIVE_DOUBLE, H5T_FLOAT, out, err);
}

int h5_attr_int_in(struct h5_file *f, const char *obj, const char *name,
		   int64_t lo, int64_t hi, int64_t *out, struct err *err)
{
	if (h5_attr_get_int(f, obj, name, out, err))
		return -1;
	if (*out < lo || *out > hi)
		return err_set(err, "'%s': attribute '%s' of '%s': %lld is out of "
				    "range (%lld to %lld)",
			       f->path, name, obj, (long long)*out, (long long)lo,
			       (long long)hi);
	return 0;
}

int h5_attr_double_in(struct h5_file *f, const char *obj, const char *name,
		      double lo, double hi, double *out, struct err *err)
{
	if (h5_attr_get_double(f, obj, name, out, err))
		return -1;
	if (!(*out >= lo && *out <= hi))
		return err_set(err, "'%s': attribute '%s' of '%s': %g is out of "
				    "range (%g to %g)",
			       f->path, name, obj, *out, lo, hi);
	return 0;
}

int h5_attr_get_string(struct h5_file *f, const char *obj, const char *name,
		       char *out, size_t size, struct err *err)
{
	hid_t o, a = -1, t = -1, m;
	size_t len;
	char *tmp;
	int rc = -1;

	if (attr_open(f, obj, name, &o, &a, &t, err))
		return -1;
	if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) > 0) {
		err_set(err, "'%s': attribute '%s' of '%s' is not a string", f->path,
			name, obj);
	} else {
		len = H5Tget_size(t);
		if (len > 65536) {	/* a forged type: no 4 GiB buffer */
			err_set(err, "'%s': attribute '%s' of '%s' is too long",
				f->path, name, obj);
			goto out;
		}
		m = H5Tcopy(H5T_C_S1);
		H5Tset_size(m, len + 1);
		H5Tset_strpad(m, H5T_STR_NULLTERM);
		H5Tset_cset(m, H5Tget_cset(t));
		tmp = xcalloc(len + 2, 1);
		if (H5Aread(a, m, tmp) < 0)
			err_set(err, "'%s': cannot read attribute '%s' of '%s'",
				f->path, name, obj);
		else if (strlen(tmp) >= size)
			err_set(err, "'%s': attribute '%s' of '%s' is too long",
				f->path, name, obj);
		else {
			memcpy(out, tmp, strlen(tmp) + 1);
			rc = 0;
		}
		free(tmp);
		H5Tclose(m);
	}
out:
	H5Tclose(t);
	H5Aclose(a);
	H5Oclose(o);
	return rc;
}

int h5_finish(struct h5_file *in, struct h5_file *out, int rc, struct err *err)
{
	struct err closing;
	char *path;

	if (in)
		h5_close(in, &closing);
	if (!out)
		return rc;
	path = xstrdup(out->path);
	if (h5_close(out, &closing) && !rc) {
		*err = closing;
		rc = -1;
	}
	/* Nothing half-written is left for the next reader. */
	if (rc)
		unlink(path);
	free(path);
	return rc;
}

struct listing {
	char **names;
	size_t n;
};

static herr_t list_one(hid_t id, const char *name, const H5L_info_t *info,
		       void *ctx)
{
	struct listing *l = ctx;

	(void)id, (void)info;
	l->names = xrealloc(l->names, (l->n + 1) * sizeof(char *));
	l->names[l->n++] = xstrdup(name);
	return 0;
}

int h5_list(struct h5_file *f, const char *group, char ***names, size_t *n,
	    struct err *err)
{
	struct listing l = { NULL, 0 };
	hsize_t idx = 0;
	hid_t g;

	*names = NULL;
	*n = 0;
	if (H5Lexists(f->id, group, H5P_DEFAULT) <= 0 ||
	    (g = H5Gopen2(f->id, group, H5P_DEFAULT)) < 0)
		return err_set(err, "'%s': no group '%s'", f->path, group);
	if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, list_one, &l) < 0) {
		size_t i;
		for (i = 0; i < l.n; i++)
			free(l.names[i]);
		free(l.names);
		H5Gclose(g);
		return err_set(err, "'%s': cannot list group '%s'", f->path, group);
	}
	H5Gclose(g);
	*names = l.names;
	*n = l.n;
	return 0;
}
