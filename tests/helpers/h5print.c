/*
 * h5print: the numbers of an HDF5 dataset or attribute, one a line (%.17g:
 * a double read back exactly), for the e2e tests that check what a kind
 * wrote.
 *
 *   h5print FILE DATASET          every value of the dataset, in order
 *   h5print FILE OBJECT ATTR      a numeric attribute of OBJECT ("/")
 *
 * Exit 0, or 1 with a message when the file, dataset or attribute cannot
 * be read.
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	hid_t f, d, s, a;
	hssize_t n, i;
	double *v, x;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: h5print FILE DATASET | FILE OBJECT ATTR\n");
		return 2;
	}
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	if ((f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
		fprintf(stderr, "h5print: cannot open '%s'\n", argv[1]);
		return 1;
	}
	if (argc == 4) {
		if ((a = H5Aopen_by_name(f, argv[2], argv[3], H5P_DEFAULT,
					 H5P_DEFAULT)) < 0 ||
		    H5Aread(a, H5T_NATIVE_DOUBLE, &x) < 0) {
			fprintf(stderr, "h5print: no attribute '%s' of '%s'\n",
				argv[3], argv[2]);
			return 1;
		}
		printf("%.17g\n", x);
		H5Aclose(a);
		H5Fclose(f);
		return 0;
	}
	if ((d = H5Dopen2(f, argv[2], H5P_DEFAULT)) < 0) {
		fprintf(stderr, "h5print: no dataset '%s'\n", argv[2]);
		return 1;
	}
	s = H5Dget_space(d);
	n = H5Sget_simple_extent_npoints(s);
	v = calloc((size_t)n + 1, sizeof(double));
	if (!v || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
			  v) < 0) {
		fprintf(stderr, "h5print: cannot read '%s'\n", argv[2]);
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%.17g\n", v[i]);
	free(v);
	H5Sclose(s);
	H5Dclose(d);
	H5Fclose(f);
	return 0;
}
