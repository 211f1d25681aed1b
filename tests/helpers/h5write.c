/*
 * h5write: one HDF5 file holding the same logical content in one of
 * several physical forms, for the content-digest tests.
 *
 *   h5write OUT FORM [VALUE]
 *
 * The content: group "g" with dataset "x" (float64 [100, 3], x[i][j] =
 * i * 3 + j + VALUE), an int32 attribute "n" = 100 on "x", a string
 * attribute "kind" on the root, and dataset "y" (uint8 [5]) at the root.
 * FORM: "plain" (contiguous, created in that order, no timestamps),
 * "chunked" (chunks of 7 rows, deflate, timestamps on, created in the
 * other order), "order" (attributes and members made in reverse order).
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void dataset_x(hid_t g, int chunked, double value)
{
	hsize_t dims[2] = { 100, 3 }, chunk[2] = { 7, 3 };
	double x[300];
	int n = 100, i;
	hid_t s = H5Screate_simple(2, dims, NULL), p = H5Pcreate(H5P_DATASET_CREATE);
	hid_t d, as, a;

	for (i = 0; i < 300; i++)
		x[i] = i + value;
	if (chunked) {
		H5Pset_chunk(p, 2, chunk);
		H5Pset_deflate(p, 6);
	} else {
		H5Pset_obj_track_times(p, 0);
	}
	d = H5Dcreate2(g, "x", H5T_IEEE_F64LE, s, H5P_DEFAULT, p, H5P_DEFAULT);
	H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
	as = H5Screate(H5S_SCALAR);
	a = H5Acreate2(d, "n", chunked ? H5T_STD_I32BE : H5T_STD_I32LE, as,
		       H5P_DEFAULT, H5P_DEFAULT);
	H5Awrite(a, H5T_NATIVE_INT, &n);
	H5Aclose(a);
	H5Sclose(as);
	H5Dclose(d);
	H5Pclose(p);
	H5Sclose(s);
}

static void dataset_y(hid_t f)
{
	hsize_t dims[1] = { 5 };
	unsigned char y[5] = { 1, 2, 3, 4, 5 };
	hid_t s = H5Screate_simple(1, dims, NULL);
	hid_t d = H5Dcreate2(f, "y", H5T_STD_U8LE, s, H5P_DEFAULT, H5P_DEFAULT,
			     H5P_DEFAULT);

	H5Dwrite(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, y);
	H5Dclose(d);
	H5Sclose(s);
}

static void root_attr(hid_t f)
{
	hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a;

	H5Tset_size(t, 6);
	a = H5Acreate2(f, "kind", t, s, H5P_DEFAULT, H5P_DEFAULT);
	H5Awrite(a, t, "test.");
	H5Aclose(a);
	H5Sclose(s);
	H5Tclose(t);
}

int main(int argc, char **argv)
{
	double value = argc > 3 ? atof(argv[3]) : 0;
	int chunked, reverse;
	hid_t f, g;

	if (argc < 3) {
		fprintf(stderr, "usage: h5write OUT plain|chunked|order [VALUE]\n");
		return 2;
	}
	chunked = !strcmp(argv[2], "chunked");
	reverse = chunked || !strcmp(argv[2], "order");
	f = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (f < 0)
		return 1;
	if (reverse) {
		dataset_y(f);
		root_attr(f);
	}
	g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	dataset_x(g, chunked, value);
	H5Gclose(g);
	if (!reverse) {
		root_attr(f);
		dataset_y(f);
	}
	return H5Fclose(f) < 0;
}
