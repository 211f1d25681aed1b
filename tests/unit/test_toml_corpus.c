/*
 * The TOML corpus through the library, and robustness: every valid
 * document must give exactly its .json; every invalid one must fail; every
 * prefix of every document and every document with single bytes mutated
 * must parse or fail cleanly (ASan/UBSan catch crashes and leaks).
 *
 * usage: test_toml_corpus VALID_DIR INVALID_DIR
 */
#include <dirent.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "toml.h"
#include "toml_json.h"
#include "util.h"

static int read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;

	buf_truncate(out, 0);
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the .toml files in dir. */
static char **list(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((ent = readdir(d))) {
		size_t len = strlen(ent->d_name);
		if (len < 6 || strcmp(ent->d_name + len - 5, ".toml"))
			continue;
		xgrow((void **)&names, &cap, *n + 1, sizeof(char *));
		names[(*n)++] = xstrdup(ent->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(char *), cmp_names);
	return names;
}

/* Parse; return 0 or -1; never crash.  Exercise the JSON writer too. */
static int try_parse(const char *s, size_t n)
{
	struct toml_doc *d;
	struct err e;
	struct buf j = BUF_INIT;

	if (toml_parse(s, n, "x.toml", &d, &e) < 0) {
		if (!strstr(e.msg, "x.toml:"))
			return -2;
		return -1;
	}
	toml_json(&j, toml_root(d));
	buf_release(&j);
	toml_doc_free(d);
	return 0;
}

static void robustness(const struct buf *doc)
{
	static const char muts[] = { 0, '"', '\'', '[', ']', '{', '\n', '\r',
				     '=', '.', ',', '\\', (char)0xff };
	struct buf m = BUF_INIT;
	size_t cut, i, k;
	int bad = 0;

	for (cut = 0; cut <= doc->len; cut++)
		bad += try_parse(doc->data, cut) == -2;
	buf_add(&m, doc->data, doc->len);
	for (i = 0; i < doc->len && i < 400; i++) {
		char saved = m.data[i];
		for (k = 0; k < sizeof(muts); k++) {
			m.data[i] = muts[k];
			bad += try_parse(m.data, m.len) == -2;
		}
		m.data[i] = saved;
	}
	CHECK_INT(bad, 0);
	buf_release(&m);
}

int main(int argc, char **argv)
{
	struct buf text = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	char path[4096];
	char **names;
	size_t n, i;
	int valid = 0, invalid = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: test_toml_corpus VALID INVALID\n");
		return 2;
	}
	names = list(argv[1], &n);
	CHECK(n >= 150);
	for (i = 0; i < n; i++) {
		struct toml_doc *d;
		struct err e;
		size_t len = strlen(names[i]);

		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		CHECK(read_file(path, &text) == 0);
		snprintf(path, sizeof(path), "%s/%.*s.json", argv[1],
			 (int)(len - 5), names[i]);
		CHECK(read_file(path, &want) == 0);
		if (toml_parse(text.data, text.len, names[i], &d, &e) < 0) {
			fprintf(stderr, "valid/%s rejected: %s\n", names[i],
				e.msg);
			CHECK(!"valid document rejected");
			continue;
		}
		buf_truncate(&got, 0);
		toml_json(&got, toml_root(d));
		buf_addc(&got, '\n');
		toml_doc_free(d);
		if (strcmp(got.data, want.data)) {
			fprintf(stderr, "valid/%s: JSON differs\n", names[i]);
			CHECK_STR(got.data, want.data);
		}
		valid++;
		robustness(&text);
		free(names[i]);
	}
	free(names);

	names = list(argv[2], &n);
	CHECK(n >= 250);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[2], names[i]);
		CHECK(read_file(path, &text) == 0);
		if (try_parse(text.data, text.len) != -1) {
			fprintf(stderr, "invalid/%s accepted\n", names[i]);
			CHECK(!"invalid document accepted");
		}
		invalid++;
		robustness(&text);
		free(names[i]);
	}
	free(names);
	printf("%d valid and %d invalid documents\n", valid, invalid);
	buf_release(&text);
	buf_release(&want);
	buf_release(&got);
	return check_done("test_toml_corpus");
}
