/*
 * The remotes' config files (config.h has the keys).  Each file is read
 * whole and parsed with its source kept, so every later, semantic error
 * points at the value with the line and a caret; a line that may hold a
 * URL's credentials is never quoted.  The workspace's file is read first:
 * a name it defines shadows the user's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "suggest.h"
#include "toml.h"
#include "util.h"

static const char *const top_keys[] = { "default_remote", "remote", NULL };
static const char *const remote_keys[] = { "url",	   "read_only",
					   "trusted_keys", "sign_key",
					   "auth_env",	   NULL };

/* One config file while it is read. */
struct file {
	const char *path;
	struct buf src;
	struct toml_doc *doc;
	int user;
	const struct toml_kv *def;	/* its default_remote, or NULL */
};

int remote_name_valid(const char *name)
{
	const char *p;

	if (!*name || *name == '-')
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* Whether line (1-based) of src may hold a URL's user:password@: then a
 * message does not quote it. */
static int may_hold_credentials(const char *src, size_t len, int line)
{
	const char *p = src, *end = src + len, *eol, *s;

	while (--line > 0 && p < end)
		p = (s = memchr(p, '\n', (size_t)(end - p))) ? s + 1 : end;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	for (s = p; s + 3 <= eol; s++)
		if (!memcmp(s, "://", 3))
			return memchr(s, '@', (size_t)(eol - s)) != NULL;
	return 0;
}

/* "FILE:LINE:COL: message", the line and a caret, as for a graph; the
 * location alone when the line may hold credentials. */
static int ferr_at(const struct file *f, int line, int col, struct err *err,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int ferr_at(const struct file *f, int line, int col, struct err *err,
		   const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	if (may_hold_credentials(f->src.data, f->src.len, line)) {
		buf_vaddf(&b, fmt, ap);
		err_set(err, "%s:%d:%d: %s", f->path, line, col, b.data);
		buf_release(&b);
	} else {
		err_vat(err, f->path, f->src.data, f->src.len, line, col, fmt,
			ap);
	}
	va_end(ap);
	return -1;
}

static int ferr(const struct file *f, const struct toml_value *v,
		struct err *err, const char *what, const char *must)
{
	return ferr_at(f, v->line, v->col, err, "'%s' must be %s", what, must);
}

/* Why url is no remote's URL, or NULL when it is one. */
static const char *url_problem(const char *url)
{
	const char *p = url, *host;

	if (!strncmp(p, "http://", 7))
		host = p + 7;
	else if (!strncmp(p, "https://", 8))
		host = p + 8;
	else
		return "must start with http:// or https://";
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return "must not hold spaces or control characters";
	for (p = host; *p && *p != '/' && *p != '?' && *p != '#'; p++)
		if (*p == '@')
			return "holds credentials: put them in ~/.netrc or in "
			       "the variable auth_env names, never in a file "
			       "that may be committed";
	if (p == host)
		return "has no host";
	if (*p == '?' || *p == '#')
		return "must not have a query or a fragment";
	return NULL;
}

/* url without its trailing '/'s. */
static char *url_clean(const char *url)
{
	size_t n = strlen(url);

	while (n && url[n - 1] == '/')
		n--;
	return xstrndup(url, n);
}

static int env_name_valid(const char *s)
{
	const char *p;

	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

/* path as written in file f: "~/" from $HOME, a relative one from the
 * file's folder. */
static char *resolve_path(const struct file *f, const char *path)
{
	const char *home = getenv("HOME"), *slash = strrchr(f->path, '/');
	struct buf b = BUF_INIT;

	if (!strncmp(path, "~/", 2) && home && *home) {
		buf_addf(&b, "%s/%s", home, path + 2);
	} else if (path[0] != '/' && slash) {
		buf_add(&b, f->path, (size_t)(slash - f->path) + 1);
		buf_adds(&b, path);
	} else {
		buf_adds(&b, path);
	}
	return buf_detach(&b, NULL);
}

static int unknown_key(const struct file *f, const struct toml_kv *kv,
		       const char *const *keys, const char *where,
		       struct err *err)
{
	struct suggest sg;
	size_t i;

	suggest_init(&sg, kv->key);
	for (i = 0; keys[i]; i++)
		suggest_add(&sg, keys[i]);
	ferr_at(f, kv->line, kv->col, err, "unknown key '%s' in %s%s",
		kv->key, where, suggest_clause(&sg));
	suggest_release(&sg);
	return -1;
}

static void conf_release(struct remote_conf *r)
{
	free(r->name);
	free(r->url);
	free(r->trusted);
	free(r->sign_key);
	free(r->auth_env);
}

/* The table of remote kv (its name) in file f into *r. */
static int load_remote(const struct file *f, const struct toml_kv *rkv,
		       struct remote_conf *r, struct err *err)
{
	const struct toml_value *t = rkv->value;
	const char *why;
	size_t i, j;

	memset(r, 0, sizeof(*r));
	r->name = xstrdup(rkv->key);
	r->file = f->path;
	r->line = rkv->line;
	r->col = rkv->col;
	r->user = f->user;
	if (strlen(rkv->key) != rkv->keylen || !remote_name_valid(rkv->key))
		return ferr_at(f, rkv->line, rkv->col, err,
			       "invalid remote name '%s': use letters, digits, "
			       "'_' and '-'", r->name);
	if (t->type != TOML_TABLE)
		return ferr_at(f, t->line, t->col, err,
			       "remote '%s' must be a table ([remote.%s])",
			       r->name, r->name);
	for (i = 0; i < t->u.table.len; i++) {
		const struct toml_kv *kv = &t->u.table.kv[i];
		const struct toml_value *v = kv->value;

		for (j = 0; remote_keys[j]; j++)
			if (!strcmp(kv->key, remote_keys[j]))
				break;
		if (!remote_keys[j])
			return unknown_key(f, kv, remote_keys,
					   "a remote", err);
		if (!strcmp(kv->key, "read_only")) {
			if (v->type != TOML_BOOL)
				return ferr(f, v, err, "read_only",
					    "true or false");
			r->read_only = v->u.boolean;
			continue;
		}
		if (!strcmp(kv->key, "trusted_keys")) {
			if (v->type != TOML_ARRAY)
				return ferr(f, v, err, "trusted_keys",
					    "an array of public keys (64 hex "
					    "digits each)");
			r->trusted = xcalloc(v->u.array.len + 1,
					     sizeof(*r->trusted));
			for (j = 0; j < v->u.array.len; j++) {
				const struct toml_value *k =
					v->u.array.items[j];

				if (k->type != TOML_STRING ||
				    sign_parse_public(k->u.string.ptr,
						      r->trusted[j]) < 0)
					return ferr_at(
						f, k->line, k->col, err,
						"a trusted key must be a "
						"public key: 64 hex digits, as "
						"'cairn key generate' prints");
			}
			r->ntrusted = v->u.array.len;
			continue;
		}
		if (v->type != TOML_STRING ||
		    strlen(v->u.string.ptr) != v->u.string.len ||
		    !v->u.string.len)
			return ferr(f, v, err, kv->key,
				    !strcmp(kv->key, "url")
					    ? "a URL such as \"http://host/path\""
				    : !strcmp(kv->key, "auth_env")
					    ? "the name of an environment "
					      "variable"
					    : "a path (a string)");
		if (!strcmp(kv->key, "url")) {
			if ((why = url_problem(v->u.string.ptr)))
				return ferr_at(f, v->line, v->col, err,
					       "remote '%s': the url %s",
					       r->name, why);
			r->url = url_clean(v->u.string.ptr);
		} else if (!strcmp(kv->key, "auth_env")) {
			if (!env_name_valid(v->u.string.ptr))
				return ferr(f, v, err, "auth_env",
					    "the name of an environment "
					    "variable (letters, digits, '_')");
			r->auth_env = xstrdup(v->u.string.ptr);
		} else {
			r->sign_key = resolve_path(f, v->u.string.ptr);
		}
	}
	if (!r->url)
		return ferr_at(f, rkv->line, rkv->col, err,
			       "remote '%s' has no url", r->name);
	return 0;
}

static const struct remote_conf *find(const struct remote_config *c,
				      const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

/* Parse file f's source (f->src) and add its remotes not defined yet. */
static int parse_file(struct file *f, struct remote_config *c,
		      struct err *err)
{
	const struct toml_value *root, *t;
	size_t i, cap = c->n;

	if (toml_parse(f->src.data, f->src.len, f->path, &f->doc, err) < 0)
		return -1;
	root = toml_root(f->doc);
	for (i = 0; i < root->u.table.len; i++) {
		const struct toml_kv *kv = &root->u.table.kv[i];

		if (!strcmp(kv->key, "default_remote")) {
			if (kv->value->type != TOML_STRING)
				return ferr(f, kv->value, err,
					    "default_remote",
					    "the name of a remote (a string)");
			f->def = kv;
		} else if (strcmp(kv->key, "remote")) {
			return unknown_key(f, kv, top_keys, "the config",
					   err);
		}
	}
	if (!(t = toml_get(root, "remote")))
		return 0;
	if (t->type != TOML_TABLE)
		return ferr(f, t, err, "remote",
			    "a table of remotes ([remote.NAME])");
	for (i = 0; i < t->u.table.len; i++) {
		struct remote_conf r;

		if (load_remote(f, &t->u.table.kv[i], &r, err) < 0) {
			conf_release(&r);
			return -1;
		}
		if (find(c, r.name)) {
			conf_release(&r);
			continue;
		}
		xgrow((void **)&c->v, &cap, c->n + 1, sizeof(*c->v));
		c->v[c->n++] = r;
	}
	return 0;
}

/* Read file f (missing: nothing, *there 0) and parse it. */
static int load_file(struct file *f, struct remote_config *c, int *there,
		     struct err *err)
{
	*there = 0;
	if (buf_read_file(&f->src, f->path) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_errno(err, "cannot read '%s'", f->path);
	}
	*there = 1;
	return parse_file(f, c, err);
}

static void file_init(struct file *f, const char *path, int user)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->user = user;
	buf_init(&f->src);
}

static void file_release(struct file *f)
{
	toml_doc_free(f->doc);
	buf_release(&f->src);
	file_init(f, NULL, 0);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct remote_conf *)a)->name,
		      ((const struct remote_conf *)b)->name);
}

int remote_config_user_path(struct buf *out)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	/* The XDG spec: a relative XDG_CONFIG_HOME is ignored. */
	if (xdg && xdg[0] == '/')
		buf_addf(out, "%s/cairn/config.toml", xdg);
	else if (home && *home)
		buf_addf(out, "%s/.config/cairn/config.toml", home);
	else
		return -1;
	return 0;
}

int remote_config_load(const char *workspace, struct remote_config *out,
		       struct err *err)
{
	struct file f[2];
	struct buf b = BUF_INIT;
	const struct file *df = NULL;
	const struct remote_conf *d;
	int rc = -1, k, there;

	memset(out, 0, sizeof(*out));
	if (!*workspace || !strcmp(workspace, "."))
		buf_adds(&b, REMOTE_CONFIG_FILE);
	else
		buf_addf(&b, "%s/%s", workspace, REMOTE_CONFIG_FILE);
	out->workspace_file = buf_detach(&b, NULL);
	if (remote_config_user_path(&b) == 0)
		out->user_file = buf_detach(&b, NULL);
	file_init(&f[0], out->workspace_file, 0);
	file_init(&f[1], out->user_file, 1);
	for (k = 0; k < 2; k++) {
		if (f[k].path && load_file(&f[k], out, &there, err) < 0)
			goto out;
		if (f[k].def && !df)
			df = &f[k];
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_name);
	if (df) {
		const struct toml_value *v = df->def->value;
		struct suggest sg;
		size_t i;

		if (!(d = find(out, v->u.string.ptr))) {
			suggest_init(&sg, v->u.string.ptr);
			for (i = 0; i < out->n; i++)
				suggest_add(&sg, out->v[i].name);
			ferr_at(df, v->line, v->col, err,
				"default_remote '%s' names no remote%s",
				v->u.string.ptr, suggest_clause(&sg));
			suggest_release(&sg);
			goto out;
		}
		out->default_name = d->name;
	}
	rc = 0;
out:
	for (k = 0; k < 2; k++)
		file_release(&f[k]);
	return rc;
}

void remote_config_release(struct remote_config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		conf_release(&c->v[i]);
	free(c->v);
	free(c->workspace_file);
	free(c->user_file);
	memset(c, 0, sizeof(*c));
}

const struct remote_conf *remote_config_find(const struct remote_config *c,
					     const char *name,
					     struct err *err)
{
	const struct remote_conf *r;
	struct suggest sg;
	size_t i;

	if (!name && c->default_name)
		name = c->default_name;
	if (!name && c->n == 1)
		return &c->v[0];
	if (!c->n) {
		err_set(err, "%s%s%sno remote is configured ('cairn remote "
			     "add NAME URL' adds one)",
			name ? "unknown remote '" : "", name ? name : "",
			name ? "': " : "");
		return NULL;
	}
	if (!name) {
		struct buf b = BUF_INIT;

		for (i = 0; i < c->n; i++)
			buf_addf(&b, "%s'%s'", i ? ", " : "", c->v[i].name);
		err_set(err, "which remote? %s are configured and none is the "
			     "default: name one, or set default_remote in '%s'",
			b.data, c->workspace_file);
		buf_release(&b);
		return NULL;
	}
	if ((r = find(c, name)))
		return r;
	suggest_init(&sg, name);
	for (i = 0; i < c->n; i++)
		suggest_add(&sg, c->v[i].name);
	err_set(err, "unknown remote '%s'%s", name, suggest_clause(&sg));
	suggest_release(&sg);
	return NULL;
}

/* ---- editing a file ---- */

/* Write text to path through a temporary file renamed into place, with
 * the mode the file had (a new one: 0666 less the umask). */
static int write_file(const char *path, const struct buf *text,
		      struct err *err)
{
	struct buf tmp = BUF_INIT;
	struct stat st;
	int fd, ok, had = stat(path, &st) == 0;

	if (!had && errno == ENOENT && mkdir_p(path, 1))
		return err_errno(err, "cannot create the folder of '%s'", path);
	buf_addf(&tmp, "%s.tmp%ld", path, (long)getpid());
	unlink(tmp.data);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		err_errno(err, "cannot write '%s'", path);
		buf_release(&tmp);
		return -1;
	}
	ok = (!had || fchmod(fd, st.st_mode & 07777) == 0) &&
	     write(fd, text->data, text->len) == (ssize_t)text->len &&
	     fsync(fd) == 0;
	if (!ok && !errno)
		errno = EIO;
	if (close(fd) < 0)
		ok = 0;
	if (ok && rename(tmp.data, path) < 0)
		ok = 0;
	if (!ok) {
		err_errno(err, "cannot write '%s'", path);
		unlink(tmp.data);
	}
	buf_release(&tmp);
	return ok ? 0 : -1;
}

/* The file at path read and checked as a config (one that is not valid
 * is not edited): *there 0 when missing. */
static int read_config(const char *path, struct file *f, int *there,
		       struct err *err)
{
	struct remote_config c;
	int rc;

	file_init(f, path, 0);
	memset(&c, 0, sizeof(c));
	rc = load_file(f, &c, there, err);
	remote_config_release(&c);
	return rc;
}

/* Check text as path's new contents: a valid config, or the edit is
 * refused. */
static int check_text(const char *path, const struct buf *text,
		      struct err *err)
{
	struct remote_config c;
	struct file f;
	int rc;

	file_init(&f, path, 0);
	memset(&c, 0, sizeof(c));
	buf_add(&f.src, text->data, text->len);
	rc = parse_file(&f, &c, err);
	file_release(&f);
	remote_config_release(&c);
	return rc;
}

/* Line helpers, defined below. */
static int next_header(const struct toml_value *t, int line);
static size_t line_off(const struct buf *src, int line);
static int line_empty(const struct buf *src, int line, int comments);

/*
 * src's text into text with default_remote naming name: its line
 * replaced, or (none yet) a line added above the first table and its
 * comments (a top-level key must come before any table), else at the
 * end.
 */
static void with_default(const struct buf *src, const struct toml_value *root,
			 const char *name, struct buf *text)
{
	const struct toml_kv *def =
		root ? toml_get_kv(root, "default_remote", 14) : NULL;
	struct buf line = BUF_INIT;
	size_t at, past;
	int h;

	buf_adds(&line, "default_remote = ");
	json_string(&line, name, strlen(name));
	buf_addc(&line, '\n');
	if (def) {
		at = line_off(src, def->line);
		past = line_off(src, def->line + 1);
	} else {
		/* Above the first table and the comments just above it
		 * (they are its own). */
		h = root ? next_header(root, 0) : 0;
		while (h > 1 && line_empty(src, h - 1, 1) &&
		       !line_empty(src, h - 1, 0))
			h--;
		at = past = h ? line_off(src, h) : src->len;
		if (h)	/* a blank line before the table */
			buf_addc(&line, '\n');
	}
	buf_add(text, src->data, at);
	if (at && text->data[text->len - 1] != '\n')
		buf_addc(text, '\n');
	buf_add(text, line.data, line.len);
	buf_add(text, src->data + past, src->len - past);
	buf_release(&line);
}

int remote_config_add(const char *path, const struct remote_conf *r,
		      int make_default, struct err *err)
{
	const struct toml_value *t;
	struct buf text = BUF_INIT;
	struct file f;
	const char *why;
	size_t i;
	int there, rc = -1;

	if (!remote_name_valid(r->name))
		return err_set(err, "invalid remote name '%s': use letters, "
				    "digits, '_' and '-'", r->name);
	if ((why = url_problem(r->url)))
		return err_set(err, "the url of remote '%s' %s", r->name, why);
	if (r->auth_env && !env_name_valid(r->auth_env))
		return err_set(err, "invalid variable name '%s'", r->auth_env);
	if (read_config(path, &f, &there, err) < 0)
		goto out;
	if (f.doc && (t = toml_get(toml_root(f.doc), "remote")) &&
	    toml_get(t, r->name)) {
		err_set(err, "remote '%s' already exists in '%s' ('cairn "
			     "remote remove %s' first)",
			r->name, path, r->name);
		goto out;
	}
	if (make_default)
		with_default(&f.src, f.doc ? toml_root(f.doc) : NULL, r->name,
			     &text);
	else
		buf_add(&text, f.src.data, f.src.len);
	if (text.len && text.data[text.len - 1] != '\n')
		buf_addc(&text, '\n');
	if (text.len)
		buf_addc(&text, '\n');
	buf_addf(&text, "[remote.%s]\nurl = ", r->name);
	{
		char *u = url_clean(r->url);
		json_string(&text, u, strlen(u));
		free(u);
	}
	buf_addc(&text, '\n');
	if (r->read_only)
		buf_adds(&text, "read_only = true\n");
	if (r->ntrusted) {
		buf_adds(&text, "trusted_keys = [");
		for (i = 0; i < r->ntrusted; i++) {
			char hex[SIGN_PUBLIC_HEX + 1];

			sign_public_hex(r->trusted[i], hex);
			buf_addf(&text, "%s\"%s\"", i ? ", " : "", hex);
		}
		buf_adds(&text, "]\n");
	}
	if (r->sign_key) {
		buf_adds(&text, "sign_key = ");
		json_string(&text, r->sign_key, strlen(r->sign_key));
		buf_addc(&text, '\n');
	}
	if (r->auth_env)
		buf_addf(&text, "auth_env = \"%s\"\n", r->auth_env);
	if (check_text(path, &text, err) < 0 || write_file(path, &text, err) < 0)
		goto out;
	rc = 0;
out:
	file_release(&f);
	buf_release(&text);
	return rc;
}

/* Where line (1-based) of src starts; len past the last line. */
static size_t line_off(const struct buf *src, int line)
{
	const char *p = src->data, *end = p + src->len, *nl;

	while (--line > 0 && p < end)
		p = (nl = memchr(p, '\n', (size_t)(end - p))) ? nl + 1 : end;
	return (size_t)(p - src->data);
}

static int line_count(const struct buf *src)
{
	size_t i;
	int n = 0;

	for (i = 0; i < src->len; i++)
		n += src->data[i] == '\n';
	return n + (src->len && src->data[src->len - 1] != '\n');
}

/* Whether line holds nothing, or (comments too) only a comment. */
static int line_empty(const struct buf *src, int line, int comments)
{
	const char *p = src->data + line_off(src, line);

	while (*p == ' ' || *p == '\t')
		p++;
	return !*p || *p == '\n' || *p == '\r' || (comments && *p == '#');
}

/* The first line after line that starts a table ([a] or [[a]]), or 0. */
static int next_header(const struct toml_value *t, int line)
{
	int best = 0, l;
	size_t i, j;

	for (i = 0; i < t->u.table.len; i++) {
		const struct toml_kv *kv = &t->u.table.kv[i];
		const struct toml_value *v = kv->value;

		if (v->type == TOML_TABLE && !(v->flags & TOML_INLINE)) {
			l = (v->flags & TOML_HEADER) ? kv->line : 0;
			if (l > line && (!best || l < best))
				best = l;
			l = next_header(v, line);
			if (l && (!best || l < best))
				best = l;
		} else if (v->type == TOML_ARRAY && (v->flags & TOML_AOT)) {
			for (j = 0; j < v->u.array.len; j++) {
				const struct toml_value *e = v->u.array.items[j];

				l = e->line > line ? e->line
						   : next_header(e, line);
				if (l && (!best || l < best))
					best = l;
			}
		}
	}
	return best;
}

int remote_config_remove(const char *path, const char *name,
			 struct err *err)
{
	const struct toml_value *root, *t;
	const struct toml_kv *kv, *def;
	struct buf text = BUF_INIT;
	struct suggest sg;
	struct file f;
	int there, rc = -1, start, end, e, nlines, d = 0, d2 = 0;
	size_t i;

	if (read_config(path, &f, &there, err) < 0)
		goto out;
	root = there ? toml_root(f.doc) : NULL;
	t = root ? toml_get(root, "remote") : NULL;
	kv = t ? toml_get_kv(t, name, strlen(name)) : NULL;
	if (!kv) {
		suggest_init(&sg, name);
		for (i = 0; t && i < t->u.table.len; i++)
			suggest_add(&sg, t->u.table.kv[i].key);
		err_set(err, "no remote '%s' in '%s'%s", name, path,
			suggest_clause(&sg));
		suggest_release(&sg);
		goto out;
	}
	if (!(kv->value->flags & TOML_HEADER)) {
		err_set(err, "remote '%s' is not written as a [remote.%s] "
			     "table in '%s' (line %d): edit the file",
			name, name, path, kv->line);
		goto out;
	}
	nlines = line_count(&f.src);
	start = kv->line;
	end = next_header(root, start);
	if (!end)
		end = nlines + 1;
	/* Comments just above a table are its own: those above this one go
	 * with it, those above the next one stay.  The blank lines right
	 * after it go with it, and so does the blank line before it when it
	 * ends the file. */
	for (e = end; e - 1 > start && line_empty(&f.src, e - 1, 1); e--)
		;
	while (e < end && line_empty(&f.src, e, 0))
		e++;
	while (start > 1 && line_empty(&f.src, start - 1, 1) &&
	       !line_empty(&f.src, start - 1, 0))
		start--;
	if (e == nlines + 1 && start > 1 && line_empty(&f.src, start - 1, 0))
		start--;
	/* A default_remote naming it goes, and the blank line after it
	 * when nothing is above it but blank lines. */
	def = toml_get_kv(root, "default_remote", 14);
	if (def && def->value->type == TOML_STRING &&
	    !strcmp(def->value->u.string.ptr, name))
		d = def->line;
	if (d && d < nlines && line_empty(&f.src, d + 1, 0) &&
	    (d == 1 || line_empty(&f.src, d - 1, 0)))
		d2 = d + 1;
	for (i = 1; (int)i <= nlines; i++) {
		size_t a = line_off(&f.src, (int)i);

		if (((int)i >= start && (int)i < e) || (int)i == d ||
		    (int)i == d2)
			continue;
		buf_add(&text, f.src.data + a,
			line_off(&f.src, (int)i + 1) - a);
	}
	if (check_text(path, &text, err) < 0 || write_file(path, &text, err) < 0)
		goto out;
	rc = 0;
out:
	file_release(&f);
	buf_release(&text);
	return rc;
}
