/*
 * kindtest.h: running a kind as the kind-run process does, for the unit
 * tests of kinds.  The includer defines `static char dir[]` (a mkdtemp
 * template) before including this.
 */
#ifndef CAIRN_KINDTEST_H
#define CAIRN_KINDTEST_H

#include "buf.h"
#include "err.h"
#include "json.h"
#include "kinds.h"
#include "toml.h"

static char msg[4200];

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

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;

	if (buf_read_file(&b, path) < 0)
		return NULL;
	return buf_detach(&b, NULL);
}

#endif
