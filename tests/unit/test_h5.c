/*
 * The HDF5 layer: write and read back datasets in groups with
 * attributes; the same data written twice gives the same bytes (no
 * timestamps); errors name the file and dataset for a missing dataset, a
 * wrong type and a wrong shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "h5.h"

static char dir[] = "/tmp/cairn-test-h5-XXXXXX";

static void write_one(const char *path)
{
	struct h5_file *f;
	struct err e;
	int16_t vol[2][3] = { { 1, -2, 3 }, { 4, 5, -32768 } };
	double w[4] = { 0.5, -1.25, 3e10, 0 };
	uint64_t d2[2] = { 2, 3 }, d1[1] = { 4 };

	CHECK_INT(h5_create(path, &f, &e), 0);
	CHECK_INT(h5_write(f, "case0/volume", H5_INT16, 2, d2, vol, &e), 0);
	CHECK_INT(h5_write(f, "weights", H5_FLOAT64, 1, d1, w, &e), 0);
	CHECK_INT(h5_attr_string(f, "/", "made_by", "synth.volumes", &e), 0);
	CHECK_INT(h5_attr_int(f, "case0/volume", "seed", 42, &e), 0);
	CHECK_INT(h5_attr_double(f, "case0", "spacing_mm", 2.5, &e), 0);
	CHECK_INT(h5_close(f, &e), 0);
}

static void slurp(const char *path, struct buf *b)
{
	char chunk[4096];
	size_t n;
	FILE *fp = fopen(path, "rb");

	while (fp && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(b, chunk, n);
	if (fp)
		fclose(fp);
}

int main(void)
{
	char a[256], b[256], msg[512];
	struct buf x = BUF_INIT, y = BUF_INIT;
	struct h5_file *f;
	struct err e;
	uint64_t want2[2] = { H5_ANY, 3 }, got[2], bad[2] = { 2, 4 };
	int16_t *vol;
	void *data;
	int64_t seed;
	double sp;

	if (!mkdtemp(dir))
		return 1;
	snprintf(a, sizeof(a), "%s/a.h5", dir);
	snprintf(b, sizeof(b), "%s/b.h5", dir);
	write_one(a);
	sleep(1);	/* a timestamp, if one were written, would differ */
	write_one(b);
	slurp(a, &x);
	slurp(b, &y);
	CHECK(x.len > 0 && x.len == y.len && !memcmp(x.data, y.data, x.len));

	CHECK_INT(h5_open(a, &f, &e), 0);
	CHECK_INT(h5_read(f, "case0/volume", H5_INT16, 2, want2, got, &data,
			  &e), 0);
	vol = data;
	CHECK(got[0] == 2 && got[1] == 3 && vol[1] == -2 && vol[5] == -32768);
	free(data);
	CHECK_INT(h5_attr_get_int(f, "case0/volume", "seed", &seed, &e), 0);
	CHECK_INT(seed, 42);
	CHECK_INT(h5_attr_get_double(f, "case0", "spacing_mm", &sp, &e), 0);
	CHECK(sp == 2.5);

	CHECK_INT(h5_read(f, "case0/dose", H5_FLOAT32, 2, want2, got, &data,
			  &e), -1);
	snprintf(msg, sizeof(msg), "'%s': no dataset 'case0/dose'", a);
	CHECK_STR(e.msg, msg);
	CHECK_INT(h5_read(f, "case0/volume", H5_FLOAT32, 2, want2, got, &data,
			  &e), -1);
	snprintf(msg, sizeof(msg),
		 "'%s': dataset 'case0/volume' is int16, expected float32", a);
	CHECK_STR(e.msg, msg);
	CHECK_INT(h5_read(f, "case0/volume", H5_INT16, 2, bad, got, &data, &e),
		  -1);
	snprintf(msg, sizeof(msg),
		 "'%s': dataset 'case0/volume' has shape [2, 3], expected [2, 4]",
		 a);
	CHECK_STR(e.msg, msg);
	CHECK_INT(h5_read(f, "weights", H5_FLOAT64, 2, want2, got, &data, &e),
		  -1);
	CHECK(strstr(e.msg, "has shape [4], expected [*, 3]") != NULL);
	CHECK_INT(h5_attr_get_int(f, "case0", "nosuch", &seed, &e), -1);
	CHECK(strstr(e.msg, "'case0' has no attribute 'nosuch'") != NULL);
	CHECK_INT(h5_close(f, &e), 0);

	/* The same file from its bytes in memory (the report reads outputs
	 * from the store so); truncated, or bytes of another kind: refused. */
	CHECK_INT(h5_open_image(x.data, x.len, "mem.h5", &f, &e), 0);
	CHECK_INT(h5_read(f, "case0/volume", H5_INT16, 2, want2, got, &data,
			  &e), 0);
	vol = data;
	CHECK(got[0] == 2 && got[1] == 3 && vol[1] == -2 && vol[5] == -32768);
	free(data);
	CHECK_STR(h5_path(f), "mem.h5");
	CHECK_INT(h5_close(f, &e), 0);
	CHECK_INT(h5_open_image(x.data, x.len / 2, "half.h5", &f, &e), -1);
	CHECK_STR(e.msg, "'half.h5' is not a readable HDF5 file");
	CHECK_INT(h5_open_image("not hdf5", 8, "text.h5", &f, &e), -1);
	CHECK_STR(e.msg, "'text.h5' is not a readable HDF5 file");
	CHECK_INT(h5_open_image("", 0, "empty.h5", &f, &e), -1);

	snprintf(b, sizeof(b), "%s/not.h5", dir);
	{
		FILE *fp = fopen(b, "w");
		fputs("not hdf5\n", fp);
		fclose(fp);
	}
	CHECK_INT(h5_open(b, &f, &e), -1);
	snprintf(msg, sizeof(msg), "'%s' is not a readable HDF5 file", b);
	CHECK_STR(e.msg, msg);
	buf_release(&x);
	buf_release(&y);
	snprintf(msg, sizeof(msg), "rm -rf '%s'", dir);
	if (system(msg))
		return 1;
	return check_done("test_h5");
}
