/*
 * kindtest.h: running a kind as the kind-run process does, for the unit
 * tests of kinds.  The includer defines `static char dir[]` (a mkdtemp
 * template) before including this.
 */
#ifndef CAIRN_KINDTEST_H
#define CAIRN_KINDTEST_H

#include <hdf5.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "json.h"
#include "kinds.h"
#include "toml.h"

static char msg[4200];

/* Under ASan an allocation over 4 GiB fails (xmalloc then aborts) instead
 * of being mapped lazily and never touched: a size believed from a
 * forged file shows as the failure it would be on a real machine. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=4096";
}

static const char *at(const char *name)
{
	static char p[32][256];
	static int i;

	i = (i + 1) % 32;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Run kind name with `with` given as TOML; its error text into msg. */
static int run_kind(const char *name, const char *with, const char *const *in,
		    const char *const *out, int threads)
{
	const struct stage_kind *k = kind_find(name);
	struct toml_doc *doc = NULL;
	struct json *j = NULL;
	struct buf s = BUF_INIT;
	struct kind_run r;
	struct err e;
	const struct toml_value *at_;
	int rc, line, col;

	msg[0] = 0;
	if (!k || toml_parse(with, strlen(with), "with", &doc, &e))
		return -2;
	if (kind_check_with(k, toml_root(doc), toml_root(doc), &s, &at_, &line,
			    &col)) {
		snprintf(msg, sizeof(msg), "%s", s.data);
		toml_doc_free(doc);
		buf_release(&s);
		return -3;
	}
	kind_settings_json(k, toml_root(doc), &s);
	if (json_parse(s.data, s.len, "s", &j, &e))
		return -2;
	r.kind = k;
	r.settings = j;
	r.inputs = in;
	r.outputs = out;
	r.threads = threads;
	rc = k->run(&r, &e);
	if (rc)
		snprintf(msg, sizeof(msg), "%s", e.msg);
	json_free(j);
	toml_doc_free(doc);
	buf_release(&s);
	return rc;
}

static inline char *slurp(const char *path)
{
	struct buf b = BUF_INIT;

	if (buf_read_file(&b, path) < 0)
		return NULL;
	return buf_detach(&b, NULL);
}

/* ---- forged inputs: an HDF5 file changed as a broken or hostile one
 * would be, with the library itself (cairn's writer only creates) ---- */

static inline hid_t forge_open(const char *path)
{
	hid_t f;

	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	CHECK(f >= 0);
	return f;
}

/* Attribute name of obj, replaced by a scalar of type t holding *v. */
static inline void forge_attr(const char *path, const char *obj, const char *name,
		       hid_t t, const void *v)
{
	hid_t f = forge_open(path), o = H5Oopen(f, obj, H5P_DEFAULT);
	hid_t s = H5Screate(H5S_SCALAR), a;

	if (H5Aexists(o, name) > 0)
		H5Adelete(o, name);
	a = H5Acreate2(o, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(a >= 0 && H5Awrite(a, t, v) >= 0);
	H5Aclose(a);
	H5Sclose(s);
	H5Oclose(o);
	CHECK(H5Fclose(f) >= 0);
}

static inline void forge_attr_int(const char *path, const char *obj,
			   const char *name, int64_t v)
{
	forge_attr(path, obj, name, H5T_NATIVE_INT64, &v);
}

static inline void forge_attr_double(const char *path, const char *obj,
			      const char *name, double v)
{
	forge_attr(path, obj, name, H5T_NATIVE_DOUBLE, &v);
}

/* Attribute name of obj, replaced by an array of n doubles v. */
static inline void forge_attr_array(const char *path, const char *obj,
				    const char *name, hsize_t n, double v)
{
	hid_t f = forge_open(path), o = H5Oopen(f, obj, H5P_DEFAULT);
	hid_t s = H5Screate_simple(1, &n, NULL), a;
	double vals[16];
	hsize_t i;

	for (i = 0; i < n && i < 16; i++)
		vals[i] = v;
	if (H5Aexists(o, name) > 0)
		H5Adelete(o, name);
	a = H5Acreate2(o, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(n <= 16 && a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, vals) >= 0);
	H5Aclose(a);
	H5Sclose(s);
	H5Oclose(o);
	CHECK(H5Fclose(f) >= 0);
}

/* Dataset name replaced by one of file type t and shape dims holding data
 * (of memory type m), or, data NULL, a header whose data was never
 * written: any extent, and the file stays small. */
static inline void forge_dataset(const char *path, const char *name, hid_t t,
				 int rank, const hsize_t *dims, hid_t m,
				 const void *data)
{
	hid_t f = forge_open(path), s = H5Screate_simple(rank, dims, NULL), d;

	CHECK(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
	d = H5Dcreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(d >= 0);
	if (data)
		CHECK(H5Dwrite(d, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
	H5Dclose(d);
	H5Sclose(s);
	CHECK(H5Fclose(f) >= 0);
}

static inline void forge_header(const char *path, const char *name, hid_t t,
				int rank, const hsize_t *dims)
{
	forge_dataset(path, name, t, rank, dims, 0, NULL);
}

/* Element i (in row-major order) of dataset name set to *v, of memory
 * type m. */
static inline void forge_element(const char *path, const char *name,
				 hsize_t i, hid_t m, const void *v)
{
	hid_t f = forge_open(path), d = H5Dopen2(f, name, H5P_DEFAULT);
	hid_t s = H5Dget_space(d), mem;
	hsize_t one = 1, dims[8], at[8];
	int rank = H5Sget_simple_extent_ndims(s), k;

	H5Sget_simple_extent_dims(s, dims, NULL);
	for (k = rank - 1; k >= 0; k--) {
		at[k] = i % dims[k];
		i /= dims[k];
	}
	H5Sselect_elements(s, H5S_SELECT_SET, 1, at);
	mem = H5Screate_simple(1, &one, NULL);
	CHECK(H5Dwrite(d, m, mem, s, H5P_DEFAULT, v) >= 0);
	H5Sclose(mem);
	H5Sclose(s);
	H5Dclose(d);
	CHECK(H5Fclose(f) >= 0);
}

static inline void forge_u8(const char *path, const char *name, hsize_t i,
			    uint8_t v)
{
	forge_element(path, name, i, H5T_NATIVE_UINT8, &v);
}

static inline void forge_f32(const char *path, const char *name, hsize_t i,
			     float v)
{
	forge_element(path, name, i, H5T_NATIVE_FLOAT, &v);
}

static inline void forge_i32(const char *path, const char *name, hsize_t i,
			     int32_t v)
{
	forge_element(path, name, i, H5T_NATIVE_INT32, &v);
}

/* Link from renamed to: an object of another name. */
static inline void forge_rename(const char *path, const char *from,
				const char *to)
{
	hid_t f = forge_open(path);

	CHECK(H5Lmove(f, from, f, to, H5P_DEFAULT, H5P_DEFAULT) >= 0);
	CHECK(H5Fclose(f) >= 0);
}

/*
 * Run kind name on bad input: it must fail with exactly want (the error
 * text), leave every input as it was and make no output.
 */
static inline void refused(const char *name, const char *with, const char *const *in,
		    const char *const *out, const char *want)
{
	struct buf before[4], after = BUF_INIT;
	int i, n = 0;

	for (i = 0; in && in[i] && i < 4; i++, n++) {
		buf_init(&before[i]);
		CHECK(buf_read_file(&before[i], in[i]) == 0);
	}
	for (i = 0; out && out[i]; i++)
		unlink(out[i]);
	CHECK_INT(run_kind(name, with, in, out, 1), -1);
	CHECK_STR(msg, want);
	for (i = 0; i < n; i++) {
		buf_truncate(&after, 0);
		CHECK(buf_read_file(&after, in[i]) == 0 &&
		      after.len == before[i].len &&
		      !memcmp(after.data, before[i].data, after.len));
		buf_release(&before[i]);
	}
	for (i = 0; out && out[i]; i++)
		CHECK(access(out[i], F_OK) != 0);
	buf_release(&after);
}

#endif
