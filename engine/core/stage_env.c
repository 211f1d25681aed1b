#define _GNU_SOURCE	/* qsort_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "graph.h"
#include "interp.h"
#include "json.h"
#include "kinds.h"
#include "stage_env.h"
#include "toml_json.h"
#include "util.h"

void stage_file_name(struct buf *b, const char *name)
{
	for (; *name; name++)
		buf_addc(b, (*name == '/' || *name == ' ') ? '_' : *name);
}

static void env_name(struct buf *b, const char *prefix, const char *name)
{
	buf_truncate(b, 0);
	buf_adds(b, prefix);
	for (; *name; name++) {
		char c = *name;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		buf_addc(b, c);
	}
}

void stage_values(const struct graph *g, const struct graph_inst *in,
		  struct buf *params, struct buf *matrix)
{
	size_t k, p, n = 0;

	buf_addc(params, '{');
	for (k = 0; k < in->nparams; k++) {
		for (p = 0; p < g->nparams; p++)
			if (!strcmp(g->params[p].name, in->params[k]))
				break;
		if (p == g->nparams)
			continue;
		if (n++)
			buf_adds(params, ", ");
		json_string(params, in->params[k], strlen(in->params[k]));
		buf_adds(params, ": ");
		toml_json_plain(params, g->params[p].value);
	}
	buf_addc(params, '}');
	buf_addc(matrix, '{');
	for (k = 0; k < in->nbinds; k++) {
		if (k)
			buf_adds(matrix, ", ");
		json_string(matrix, in->binds[k].name, strlen(in->binds[k].name));
		buf_adds(matrix, ": ");
		toml_json_plain(matrix, in->binds[k].value);
	}
	buf_addc(matrix, '}');
}

/* Write text as workspace/.cairn/params/HASH.json (unless it is there)
 * and set *path to it. */
static int content_file(const struct buf *j, const char *workspace,
			struct buf *path, struct err *err)
{
	struct buf tmp = BUF_INIT;
	struct digest d;
	char hex[DIGEST_HEX + 1];
	struct stat st;
	FILE *f;
	int rc = 0;

	sha256(j->data, j->len, &d);
	digest_hex(&d, hex);
	buf_truncate(path, 0);
	buf_addf(path, "%s/.cairn/params/%.32s.json", workspace, hex);
	if (stat(path->data, &st) == 0 && (size_t)st.st_size == j->len)
		return 0;
	mkdir_p(path->data, 1);
	buf_addf(&tmp, "%s.%ld", path->data, (long)getpid());
	f = fopen(tmp.data, "we");
	rc = f && fwrite(j->data, 1, j->len, f) == j->len ? 0 : -1;
	if (f && fclose(f))
		rc = -1;
	if (rc == 0 && rename(tmp.data, path->data) < 0)
		rc = -1;
	if (rc < 0) {
		err_errno(err, "cannot write '%s'", path->data);
		unlink(tmp.data);
	}
	buf_release(&tmp);
	return rc;
}

int stage_params_file(const struct graph *g, const struct graph_inst *in,
		      const char *workspace, struct buf *path, struct err *err)
{
	struct buf j = BUF_INIT, pv = BUF_INIT, mv = BUF_INIT;
	int rc;

	stage_values(g, in, &pv, &mv);
	buf_addf(&j, "{\"params\": %s, \"matrix\": %s}\n", pv.data, mv.data);
	rc = content_file(&j, workspace, path, err);
	buf_release(&pv);
	buf_release(&mv);
	buf_release(&j);
	return rc;
}

int stage_command(const struct graph_inst *in, const char *workspace,
		  struct buf *cmd, struct err *err)
{
	const struct graph_stage *st = in->stage;
	struct buf j = BUF_INIT, file = BUF_INIT;
	char exe[4096];
	ssize_t n;
	int rc;

	buf_truncate(cmd, 0);
	if (!st->kdesc) {
		buf_adds(cmd, in->cmd);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return err_errno(err, "cannot find this cairn's binary to run "
				      "kind '%s'",
				 st->kind);
	exe[n] = '\0';
	buf_adds(&j, in->settings);
	buf_addc(&j, '\n');
	rc = content_file(&j, workspace, &file, err);
	if (rc == 0) {
		shell_quote(cmd, exe);
		buf_adds(cmd, " kind-run ");
		shell_quote(cmd, st->kind);
		buf_addc(cmd, ' ');
		shell_quote(cmd, file.data);
	}
	buf_release(&j);
	buf_release(&file);
	return rc;
}

/* Whether dep name is an input of in's kind that takes many paths. */
static int many_port(const struct graph_inst *in, const char *name)
{
	const struct kind_port *p;

	for (p = in->stage->kdesc ? in->stage->kdesc->inputs : NULL;
	     p && p->name; p++)
		if (!strcmp(p->name, name))
			return p->many;
	return 0;
}

static char *env_var(const char *name, const char *value)
{
	size_t a = strlen(name), b = strlen(value);
	char *s = xmalloc(a + b + 2);

	memcpy(s, name, a);
	s[a] = '=';
	memcpy(s + a + 1, value, b + 1);
	return s;
}

/* Dep indices by name, then as written (qsort_r's context: the deps). */
static int by_dep_name(const void *a, const void *b, void *ctx)
{
	const struct graph_path *d = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(d[x].name, d[y].name);

	return c ? c : (x > y) - (x < y);
}

/*
 * CAIRN_IN_NAME for each named input: its path.  A name given many paths
 * (an array, or a kind's input of many paths even with one) also gets
 * CAIRN_IN_NAME_COUNT and CAIRN_IN_NAME_1 to _COUNT, one variable per
 * path, in the order written; CAIRN_IN_NAME is then the first.  A kind's
 * input of many paths given none: _COUNT is 0.
 */
static void in_vars(const struct graph_inst *in, struct buf *name,
		    char **vars, size_t *n)
{
	const struct kind_port *p;
	size_t *ord = xcalloc(in->ndeps + 1, sizeof(*ord));
	size_t i, j, k, count;
	char num[32];

	for (i = 0; i < in->ndeps; i++)
		ord[i] = i;
	if (in->ndeps)
		qsort_r(ord, in->ndeps, sizeof(*ord), by_dep_name,
			(void *)in->deps);
	for (i = 0; i < in->ndeps; i = j) {
		const char *nm = in->deps[ord[i]].name;

		for (j = i + 1;
		     j < in->ndeps && !strcmp(in->deps[ord[j]].name, nm); j++)
			;
		if (!nm[0])
			continue;
		env_name(name, "CAIRN_IN_", nm);
		vars[(*n)++] = env_var(name->data, in->deps[ord[i]].path);
		if (j - i == 1 && !many_port(in, nm))
			continue;
		for (k = i; k < j; k++) {
			env_name(name, "CAIRN_IN_", nm);
			buf_addf(name, "_%zu", k - i + 1);
			vars[(*n)++] = env_var(name->data, in->deps[ord[k]].path);
		}
		env_name(name, "CAIRN_IN_", nm);
		buf_adds(name, "_COUNT");
		snprintf(num, sizeof(num), "%zu", j - i);
		vars[(*n)++] = env_var(name->data, num);
	}
	for (p = in->stage->kdesc ? in->stage->kdesc->inputs : NULL;
	     p && p->name; p++) {
		for (count = k = 0; p->many && k < in->ndeps; k++)
			count += !strcmp(in->deps[k].name, p->name);
		if (!p->many || count)
			continue;
		env_name(name, "CAIRN_IN_", p->name);
		buf_adds(name, "_COUNT");
		vars[(*n)++] = env_var(name->data, "0");
	}
	free(ord);
}

char **stage_env(const struct graph_inst *in, const char *workspace,
		 const char *params, size_t *n)
{
	const struct kind_port *p;
	size_t nopt = 0, k;
	char **vars;
	struct buf name = BUF_INIT;

	for (p = in->stage->kdesc ? in->stage->kdesc->outputs : NULL;
	     p && p->name; p++)
		nopt++;
	for (p = in->stage->kdesc ? in->stage->kdesc->inputs : NULL;
	     p && p->name; p++)
		nopt++;
	vars = xcalloc(3 * in->ndeps + in->nouts + nopt + 5, sizeof(char *));

	*n = 0;
	vars[(*n)++] = env_var("CAIRN_STAGE", in->name);
	vars[(*n)++] = env_var("CAIRN_PARAMS_FILE", params);
	vars[(*n)++] = env_var("CAIRN_WORKSPACE", workspace);
	in_vars(in, &name, vars, n);
	for (k = 0; k < in->nouts; k++) {
		env_name(&name, "CAIRN_OUT_", in->outs[k].name);
		vars[(*n)++] = env_var(name.data, in->outs[k].path);
	}
	/* An optional output the stage does not name is set empty (not
	 * asked for), so an enclosing stage's of that name (cairn run inside
	 * a stage) is not taken for it. */
	for (p = in->stage->kdesc ? in->stage->kdesc->outputs : NULL;
	     p && p->name; p++) {
		for (k = 0; k < in->nouts && strcmp(in->outs[k].name, p->name);
		     k++)
			;
		if (p->optional && k == in->nouts) {
			env_name(&name, "CAIRN_OUT_", p->name);
			vars[(*n)++] = env_var(name.data, "");
		}
	}
	buf_release(&name);
	return vars;
}
