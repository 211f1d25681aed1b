/*
 * kind_sources.c: each built-in kind's code version, derived from the
 * source text (docs/hashing.md, "A kind's code version").  A host tool,
 * built and run by CMake before the stages:
 *
 *   kind_sources SRCDIR OUT FILE...
 *
 * FILE... are the candidate sources, relative to SRCDIR (stages/, kernels/
 * with its .cu and .cuh, engine/formats, and engine/base's headers).  A
 * kind is a file defining a non-static `struct stage_kind NAME`.  Its
 * closure starts at that file and follows, transitively, (i) the quoted
 * #includes found among the candidates and (ii) every candidate defining,
 * at file scope and not static, a name the file's text uses; never into
 * another kind's own file (the registry, kinds.c, names them all).  OUT
 * ("-": standard output) gets, for each kind, KIND_VERSION_<name> (the
 * SHA-256 of "PATH SHA256\n" for each file of the closure, sorted by path)
 * and KIND_SOURCES_<name> (the paths, each ended by '\n'), <name> being
 * NAME less its "kind_" prefix.  OUT is rewritten only when its text
 * changes, so that a build with nothing changed does nothing.
 *
 * Text, not objects: every #if branch is read, so the version is the same
 * for every compiler and every configuration (with CUDA or without).  The
 * reading is a C lexer and a file-scope declaration parser, no
 * preprocessor: a name used is any identifier outside comments and
 * literals, less the names being declared at file scope and the names the
 * file defines itself.  It can only err towards more files (a member or
 * parameter named like a function elsewhere), never fewer, except for a
 * call it cannot see in the text (a name made by ## pasting): the test
 * build.kind_sources checks the closure against the objects' symbols.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define KIND_TYPE "stage_kind"	/* the descriptor's struct tag */
#define KIND_PREFIX "kind_"	/* stripped from the macro names */

enum tok_type { T_IDENT, T_PUNCT, T_OP, T_STRING, T_CHAR, T_NUMBER };

struct tok {
	enum tok_type type;
	const char *p;
	size_t n;
	int line;
	int declared;		/* a name being declared: not a use */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

struct file {
	char *path;		/* relative to SRCDIR */
	char *text;
	size_t len;
	struct toks code;	/* tokens outside preprocessor directives */
	struct toks dir;	/* tokens of the directives */
	char **incs;		/* quoted #include names */
	size_t nincs, capincs;
	char **own;		/* every name defined or declared static here */
	size_t nown, capown;
	const char *kind;	/* the kind defined here, or NULL */
	size_t *deps;		/* files this one reaches directly */
	size_t ndeps, capdeps;
};

struct def {
	const char *name;
	size_t file;
};

static struct file *files;
static size_t nfiles;
static struct def *defs;
static size_t ndefs, capdefs;

static _Noreturn void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("kind_sources: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	if (*cap < need)
		*cap = need;
	if (!(p = realloc(p, *cap * elem)))
		die("out of memory");
	return p;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		die("out of memory");
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void add_name(char ***v, size_t *n, size_t *cap, const char *s,
		     size_t len)
{
	*v = grow(*v, cap, *n + 1, sizeof(char *));
	(*v)[(*n)++] = dupn(s, len);
}

/* Read path whole into f->text (NUL-terminated, f->len bytes). */
static void read_file(const char *path, struct file *f)
{
	size_t cap = 0, n;
	char buf[65536];
	FILE *in;

	if (!(in = fopen(path, "rb")))
		die("cannot open '%s': %s", path, strerror(errno));
	f->len = 0;
	f->text = NULL;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		f->text = grow(f->text, &cap, f->len + n + 1, 1);
		memcpy(f->text + f->len, buf, n);
		f->len += n;
	}
	if (ferror(in))
		die("cannot read '%s': %s", path, strerror(errno));
	fclose(in);
	f->text = grow(f->text, &cap, f->len + 1, 1);
	f->text[f->len] = '\0';
}

static int is_ident(int c, int first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (!first && c >= '0' && c <= '9');
}

static void push(struct toks *t, enum tok_type type, const char *p, size_t n,
		 int line)
{
	t->v = grow(t->v, &t->cap, t->n + 1, sizeof(struct tok));
	t->v[t->n].type = type;
	t->v[t->n].p = p;
	t->v[t->n].n = n;
	t->v[t->n].line = line;
	t->v[t->n].declared = 0;
	t->n++;
}

static int tok_is(const struct tok *t, const char *s)
{
	return t->n == strlen(s) && !memcmp(t->p, s, t->n) &&
	       (t->type == T_IDENT || t->type == T_PUNCT || t->type == T_OP);
}

/* The directive whose tokens start at f->dir.v[n0] is complete: record
 * it when it is #include "NAME". */
static void directive_done(struct file *f, size_t n0)
{
	struct tok *t = f->dir.v + n0;
	size_t n = f->dir.n - n0;

	if (n >= 3 && tok_is(&t[0], "#") && tok_is(&t[1], "include") &&
	    t[2].type == T_STRING && t[2].n >= 2)
		add_name(&f->incs, &f->nincs, &f->capincs, t[2].p + 1,
			 t[2].n - 2);
}

static const char *const ops[] = { "==", "!=", "<=", ">=", "+=", "-=", "*=",
				   "/=", "%=", "&=", "|=", "^=", "->", "::",
				   "<<", ">>", "&&", "||", "++", "--", "##",
				   NULL };

/* Split f's text into tokens: comments dropped, directives apart. */
static void lex(struct file *f)
{
	const char *s = f->text, *end = f->text + f->len, *q;
	int line = 1, bol = 1, in_dir = 0;
	size_t dir0 = 0;
	struct toks *out;

	while (s < end) {
		if (*s == '\n') {
			if (in_dir)
				directive_done(f, dir0);
			in_dir = 0;
			bol = 1;
			line++;
			s++;
			continue;
		}
		if (*s == '\\' && s + 1 < end && s[1] == '\n') {
			s += 2;
			line++;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' ||
		    *s == '\v') {
			s++;
			continue;
		}
		if (s[0] == '/' && s + 1 < end && s[1] == '/') {
			while (s < end && *s != '\n')
				s++;
			continue;
		}
		if (s[0] == '/' && s + 1 < end && s[1] == '*') {
			for (s += 2; s < end && !(s[0] == '*' && s + 1 < end &&
						  s[1] == '/');
			     s++)
				if (*s == '\n')
					line++;
			if (s >= end)
				die("%s:%d: unterminated comment", f->path,
				    line);
			s += 2;
			continue;
		}
		if (bol && *s == '#') {
			in_dir = 1;
			dir0 = f->dir.n;
		}
		bol = 0;
		out = in_dir ? &f->dir : &f->code;
		q = s;
		if (is_ident((unsigned char)*s, 1)) {
			while (s < end && is_ident((unsigned char)*s, 0))
				s++;
			push(out, T_IDENT, q, (size_t)(s - q), line);
		} else if ((*s >= '0' && *s <= '9') ||
			   (*s == '.' && s + 1 < end && s[1] >= '0' &&
			    s[1] <= '9')) {
			/* a pp-number (1e-5f, 0x1p+3): no identifier in it */
			for (s++; s < end; s++) {
				if ((*s == '+' || *s == '-') && s[-1] &&
				    strchr("eEpP", s[-1]))
					continue;
				if (!is_ident((unsigned char)*s, 0) && *s != '.')
					break;
			}
			push(out, T_NUMBER, q, (size_t)(s - q), line);
		} else if (*s == '"' || *s == '\'') {
			/* a literal ends at its quote or, unterminated (an
			 * apostrophe in #error), at the end of the line */
			char c = *s;
			for (s++; s < end && *s != c && *s != '\n'; s++)
				if (*s == '\\' && s + 1 < end && s[1] != '\n')
					s++;
			if (s < end && *s == c)
				s++;
			push(out, c == '"' ? T_STRING : T_CHAR, q,
			     (size_t)(s - q), line);
		} else {
			const char *const *o;
			for (o = ops; *o; o++)
				if (s + 1 < end && s[0] == (*o)[0] &&
				    s[1] == (*o)[1])
					break;
			if (*o) {
				push(out, T_OP, s, 2, line);
				s += 2;
			} else {
				push(out, T_PUNCT, s, 1, line);
				s++;
			}
		}
	}
	if (in_dir)
		directive_done(f, dir0);
}

static const char *const keywords[] = {
	"auto", "break", "case", "char", "const", "continue", "default", "do",
	"double", "else", "enum", "extern", "float", "for", "goto", "if",
	"inline", "int", "long", "register", "restrict", "return", "short",
	"signed", "sizeof", "static", "struct", "switch", "typedef", "union",
	"unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
	"_Atomic", "_Bool", "_Complex", "_Noreturn", "_Static_assert",
	"_Thread_local", "__attribute__", "__restrict__", "__inline__",
	"__device__", "__host__", "__global__", "__shared__", "__constant__",
	"__managed__", "__forceinline__", "__noinline__", "__launch_bounds__",
	"__align__", "__declspec", "alignas", "bool", "class", "namespace",
	"template", "typename", "using", "static_assert", NULL
};

/* Words that take a parenthesised group which is no declarator. */
static const char *const attributes[] = {
	"__attribute__", "__launch_bounds__", "__declspec", "__align__",
	"alignas", "_Alignas", "_Static_assert", "static_assert", NULL
};

static int among(const struct tok *t, const char *const *words)
{
	const char *const *k;

	if (t->type != T_IDENT)
		return 0;
	for (k = words; *k; k++)
		if (tok_is(t, *k))
			return 1;
	return 0;
}

static int punct_in(const struct tok *t, const char *set)
{
	return t->type == T_PUNCT && t->p[0] && strchr(set, t->p[0]);
}

static int opens(const struct tok *t)
{
	return punct_in(t, "([{");
}

/* Index of the token closing the group opened at t[i]; dies unbalanced. */
static size_t match(const struct file *f, const struct tok *t, size_t n,
		    size_t i)
{
	int depth = 0;
	size_t j;

	for (j = i; j < n; j++) {
		if (opens(&t[j]))
			depth++;
		else if (punct_in(&t[j], ")]}") && --depth == 0)
			return j;
	}
	die("%s:%d: '%c' is never closed (the braces must balance in "
	    "every #if branch)",
	    f->path, t[i].line, t[i].p[0]);
}

/* Whether t[i] opens a parenthesised group that may be a declarator's. */
static int declarator_group(const struct tok *t, size_t i)
{
	return punct_in(&t[i], "(") && !(i > 0 && among(&t[i - 1], attributes));
}

static void own_name(struct file *f, const struct tok *t)
{
	add_name(&f->own, &f->nown, &f->capown, t->p, t->n);
}

static void defined(struct file *f, struct tok *name, int local)
{
	name->declared = 1;
	own_name(f, name);
	if (local)
		return;
	defs = grow(defs, &capdefs, ndefs + 1, sizeof(struct def));
	defs[ndefs].name = f->own[f->nown - 1];
	defs[ndefs].file = (size_t)(f - files);
	ndefs++;
}

/* One declarator t[0..n) of a file-scope declaration without a body (the
 * first carries the specifiers): mark the name it declares as no use and
 * record what it defines.  The name when it defines a non-static object
 * of type struct KIND_TYPE (no pointer), else NULL. */
static const char *declarator(struct file *f, struct tok *t, size_t n,
			      int tdef, int local, int ext)
{
	size_t i, g = n, name = n;
	int tag = 0, tagged = 0, pointer = 0;

	for (i = 0; i < n && !tok_is(&t[i], "="); i++) {
		if (opens(&t[i])) {
			if (g == n && declarator_group(t, i))
				g = i;
			i = match(f, t, n, i);
		} else if (tok_is(&t[i], "*")) {
			pointer = 1;
		} else if (tok_is(&t[i], "struct") || tok_is(&t[i], "union") ||
			   tok_is(&t[i], "enum")) {
			tag = 1;
		} else if (t[i].type == T_IDENT && tag) {	/* a tag */
			tagged = tok_is(&t[i], KIND_TYPE);
			tag = 0;
		} else if (t[i].type == T_IDENT && !among(&t[i], keywords) &&
			   g == n) {
			name = i;
		}
	}
	if (g < n && g + 1 < n && tok_is(&t[g + 1], "*")) {
		/* (*name)(...): a pointer to a function, an object */
		for (name = n, i = g + 1; i < n && !tok_is(&t[i], ")"); i++)
			if (t[i].type == T_IDENT && !among(&t[i], keywords))
				name = i;
		pointer = 1;
	} else if (g < n) {
		/* name(...): a function declared, not defined */
		if (g > 0 && t[g - 1].type == T_IDENT &&
		    !among(&t[g - 1], keywords)) {
			t[g - 1].declared = 1;
			if (local)
				own_name(f, &t[g - 1]);
		}
		return NULL;
	}
	if (name == n)
		return NULL;
	if (tdef || (ext && i == n)) {
		t[name].declared = 1;
		return NULL;
	}
	defined(f, &t[name], local);
	return !local && tagged && !pointer ? f->own[f->nown - 1] : NULL;
}

/* A file-scope declaration t[0..n); body: it heads a function body. */
static void declaration(struct file *f, struct tok *t, size_t n, int body)
{
	int tdef = 0, local = 0, ext = 0;
	size_t i, start, g = n;
	const char *k;

	for (i = 0; i < n; i++) {
		if (opens(&t[i])) {
			if (declarator_group(t, i))
				g = i;	/* the last group: the parameters */
			i = match(f, t, n, i);
		} else if (tok_is(&t[i], "typedef")) {
			tdef = 1;
		} else if (tok_is(&t[i], "static")) {
			local = 1;
		} else if (tok_is(&t[i], "extern")) {
			ext = 1;
		}
	}
	if (body) {
		if (g < n && g > 0 && t[g - 1].type == T_IDENT)
			defined(f, &t[g - 1], local);
		return;
	}
	for (start = i = 0; i <= n; i++) {
		if (i < n && opens(&t[i])) {
			i = match(f, t, n, i);
			continue;
		}
		if (i < n && !tok_is(&t[i], ","))
			continue;
		k = declarator(f, t + start, i - start, tdef, local, ext);
		if (k && start == 0) {
			if (f->kind)
				die("%s: defines two kinds", f->path);
			if (strncmp(k, KIND_PREFIX, strlen(KIND_PREFIX)))
				die("%s: kind '%s' is not named %s...", f->path,
				    k, KIND_PREFIX);
			f->kind = k + strlen(KIND_PREFIX);
		}
		start = i + 1;
	}
}

/* extern "C" { or namespace [NAME] {: a block that is still file scope */
static int linkage(const struct tok *t, size_t n)
{
	return (n == 2 && tok_is(&t[0], "extern") && t[1].type == T_STRING) ||
	       (n >= 1 && n <= 2 && tok_is(&t[0], "namespace"));
}

static void parse(struct file *f)
{
	struct tok *t = f->code.v;
	size_t n = f->code.n, i = 0, s = 0, j;
	int open = 0;

	while (i < n) {
		if (tok_is(&t[i], "{")) {
			if (linkage(t + s, i - s)) {
				open++;
				s = ++i;
			} else if (i > s && tok_is(&t[i - 1], ")")) {
				for (j = s; j < i && !tok_is(&t[j], "="); j++)
					;
				if (j < i) {	/* = (...) {: an initializer */
					i = match(f, t, n, i) + 1;
					continue;
				}
				declaration(f, t + s, i - s, 1);
				s = i = match(f, t, n, i) + 1;
			} else {
				i = match(f, t, n, i) + 1;
			}
		} else if (tok_is(&t[i], "(") || tok_is(&t[i], "[")) {
			i = match(f, t, n, i) + 1;
		} else if (tok_is(&t[i], ";")) {
			declaration(f, t + s, i - s, 0);
			s = ++i;
		} else if (tok_is(&t[i], "}")) {
			if (!open || i != s)
				die("%s:%d: '}' closes nothing", f->path,
				    t[i].line);
			open--;
			s = ++i;
		} else {
			i++;
		}
	}
	if (s != n || open)
		die("%s: the text ends inside a declaration", f->path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_def(const void *a, const void *b)
{
	const struct def *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->file > y->file) - (x->file < y->file);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static int owns(const struct file *f, const char *name)
{
	return f->nown &&
	       bsearch(&name, f->own, f->nown, sizeof(char *), cmp_str);
}

static void add_dep(struct file *f, size_t d)
{
	if (d == (size_t)(f - files))
		return;
	f->deps = grow(f->deps, &f->capdeps, f->ndeps + 1, sizeof(size_t));
	f->deps[f->ndeps++] = d;
}

/* Whether path ends in "/" inc, or is dir "/" inc. */
static int names(const char *path, const char *dir, size_t dlen,
		 const char *inc)
{
	size_t pl = strlen(path), il = strlen(inc);

	if (dlen + 1 + il == pl && !strncmp(path, dir, dlen) &&
	    path[dlen] == '/' && !strcmp(path + dlen + 1, inc))
		return 2;
	return pl > il && path[pl - il - 1] == '/' && !strcmp(path + pl - il, inc);
}

/* The files f reaches directly: its quoted includes (the one beside it,
 * else every candidate of that name) and the definitions of its names. */
static void link_file(struct file *f)
{
	const char *slash = strrchr(f->path, '/');
	size_t dlen = slash ? (size_t)(slash - f->path) : 0, i, j, k;
	struct toks *all[2] = { &f->code, &f->dir };
	int beside;

	for (i = 0; i < f->nincs; i++) {
		for (beside = 0, j = 0; j < nfiles && !beside; j++)
			if (names(files[j].path, f->path, dlen, f->incs[i]) == 2)
				beside = 1, add_dep(f, j);
		for (j = 0; j < nfiles && !beside; j++)
			if (names(files[j].path, f->path, dlen, f->incs[i]))
				add_dep(f, j);
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < all[k]->n; i++) {
			struct tok *t = &all[k]->v[i];
			struct def key;
			char *name;
			size_t lo, hi;

			if (t->type != T_IDENT || t->declared)
				continue;
			name = dupn(t->p, t->n);
			key.name = name;
			key.file = 0;
			lo = 0;
			hi = ndefs;
			while (lo < hi) {	/* the first def of name */
				size_t mid = lo + (hi - lo) / 2;
				if (cmp_def(&defs[mid], &key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (!owns(f, name))
				for (; lo < ndefs && !strcmp(defs[lo].name, name);
				     lo++)
					add_dep(f, defs[lo].file);
			free(name);
		}
	if (f->ndeps)
		qsort(f->deps, f->ndeps, sizeof(size_t), cmp_size);
	for (i = j = 0; i < f->ndeps; i++)
		if (!j || f->deps[j - 1] != f->deps[i])
			f->deps[j++] = f->deps[i];
	f->ndeps = j;
}

static void hex(const unsigned char *d, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[64] = '\0';
}

static void sha256_hex(const void *data, size_t n, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(data, n, d, &len, EVP_sha256(), NULL) || len != 32)
		die("SHA-256 failed");
	hex(d, out);
}

struct text {
	char *p;
	size_t n, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
	t->p = grow(t->p, &t->cap, t->n + n + 1, 1);
	memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = '\0';
}

static void put_str(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* The closure of kind file k, its KIND_VERSION_ and KIND_SOURCES_. */
static void kind(size_t k, const char *const *fhash, struct text *out)
{
	size_t *queue = malloc(nfiles * sizeof(size_t)), nq = 0, i, j;
	char *seen = calloc(nfiles, 1), **paths, version[65];
	struct text lines = { NULL, 0, 0 };

	if (!queue || !seen)
		die("out of memory");
	queue[nq++] = k;
	seen[k] = 1;
	for (i = 0; i < nq; i++)
		for (j = 0; j < files[queue[i]].ndeps; j++) {
			size_t d = files[queue[i]].deps[j];
			if (seen[d] || (files[d].kind && d != k))
				continue;
			seen[d] = 1;
			queue[nq++] = d;
		}
	if (!(paths = malloc(nq * sizeof(char *))))
		die("out of memory");
	for (i = 0; i < nq; i++)
		paths[i] = files[queue[i]].path;
	qsort(paths, nq, sizeof(char *), cmp_str);
	for (i = 0; i < nq; i++) {
		for (j = 0; files[j].path != paths[i]; j++)
			;
		put_str(&lines, paths[i]);
		put_str(&lines, " ");
		put_str(&lines, fhash[j]);
		put_str(&lines, "\n");
	}
	sha256_hex(lines.p, lines.n, version);
	put_str(out, "#define KIND_VERSION_");
	put_str(out, files[k].kind);
	put_str(out, " \"");
	put_str(out, version);
	put_str(out, "\"\n#define KIND_SOURCES_");
	put_str(out, files[k].kind);
	put_str(out, " \\\n");
	for (i = 0; i < nq; i++) {
		put_str(out, "\t\"");
		put_str(out, paths[i]);
		put_str(out, i + 1 < nq ? "\\n\" \\\n" : "\\n\"\n");
	}
	free(lines.p);
	free(paths);
	free(seen);
	free(queue);
}

/* Write text to path unless it already holds exactly that. */
static void write_if_changed(const char *path, const struct text *t)
{
	struct file old = { 0 };
	size_t tlen = strlen(path) + 5;
	char *tmp;
	FILE *o;

	if (!strcmp(path, "-")) {
		fwrite(t->p, 1, t->n, stdout);
		return;
	}
	if ((o = fopen(path, "rb"))) {
		fclose(o);
		read_file(path, &old);
		if (old.len == t->n && !memcmp(old.text, t->p, t->n)) {
			free(old.text);
			return;
		}
		free(old.text);
	}
	if (!(tmp = malloc(tlen)))
		die("out of memory");
	snprintf(tmp, tlen, "%s.tmp", path);
	if (!(o = fopen(tmp, "wb")) || fwrite(t->p, 1, t->n, o) != t->n ||
	    fclose(o) || rename(tmp, path))
		die("cannot write '%s': %s", path, strerror(errno));
	free(tmp);
}

int main(int argc, char **argv)
{
	struct text out = { NULL, 0, 0 };
	char **fhash;
	size_t i, j, nkinds = 0;

	if (argc < 4)
		die("usage: kind_sources SRCDIR OUT FILE...");
	nfiles = (size_t)argc - 3;
	if (!(files = calloc(nfiles, sizeof(struct file))) ||
	    !(fhash = calloc(nfiles, sizeof(char *))))
		die("out of memory");
	for (i = 0; i < nfiles; i++) {
		size_t plen = strlen(argv[1]) + strlen(argv[i + 3]) + 2;
		char *path = malloc(plen);

		if (!path)
			die("out of memory");
		snprintf(path, plen, "%s/%s", argv[1], argv[i + 3]);
		files[i].path = argv[i + 3];
		read_file(path, &files[i]);
		free(path);
		lex(&files[i]);
		parse(&files[i]);
		if (files[i].nown)
			qsort(files[i].own, files[i].nown, sizeof(char *),
			      cmp_str);
		if (!(fhash[i] = malloc(65)))
			die("out of memory");
		sha256_hex(files[i].text, files[i].len, fhash[i]);
	}
	if (ndefs)
		qsort(defs, ndefs, sizeof(struct def), cmp_def);
	for (i = 0; i < nfiles; i++)
		link_file(&files[i]);
	put_str(&out, "/* Generated by cmake/kind_sources.c: do not edit. */\n");
	for (i = 0; i < nfiles; i++)
		if (files[i].kind) {
			kind(i, (const char *const *)fhash, &out);
			nkinds++;
		}
	if (!nkinds)
		die("no kind found (a non-static 'struct %s' definition)",
		    KIND_TYPE);
	write_if_changed(argv[2], &out);
	for (i = 0; i < nfiles; i++) {
		free(files[i].text);
		free(files[i].code.v);
		free(files[i].dir.v);
		for (j = 0; j < files[i].nincs; j++)
			free(files[i].incs[j]);
		free(files[i].incs);
		for (j = 0; j < files[i].nown; j++)
			free(files[i].own[j]);
		free(files[i].own);
		free(files[i].deps);
		free(fhash[i]);
	}
	free(fhash);
	free(files);
	free(defs);
	free(out.p);
	return 0;
}
