#include "buf.h"
#include "err.h"
#include "opt.h"
#include "suggest.h"
#include "util.h"

static const struct opt_spec help_spec = { "help", OPT_HELP, 0, NULL,
					   "show this help" };

void opt_init(struct opt_iter *it, int argc, char **argv, int first,
	      int stop_at_operand)
{
	memset(it, 0, sizeof(*it));
	it->argc = argc;
	it->argv = argv;
	it->i = first;
	it->stop_at_operand = stop_at_operand;
	it->operands = xcalloc((size_t)argc + 1, sizeof(char *));
}

void opt_release(struct opt_iter *it)
{
	free(it->operands);
	it->operands = NULL;
}

static const struct opt_spec *long_in(const struct opt_spec *specs,
				      const char *name, size_t n)
{
	for (; specs && specs->key; specs++)
		if (specs->name && strlen(specs->name) == n &&
		    !memcmp(specs->name, name, n))
			return specs;
	return NULL;
}

static const struct opt_spec *short_in(const struct opt_spec *specs, char c)
{
	for (; specs && specs->key; specs++)
		if (specs->key == (unsigned char)c && specs->key < 256)
			return specs;
	return NULL;
}

/* The option named name[0..n) of specs, else -h/--help, else of it->also
 * (it->from_also set). */
static const struct opt_spec *by_long(struct opt_iter *it,
				      const struct opt_spec *specs,
				      const char *name, size_t n)
{
	const struct opt_spec *s = long_in(specs, name, n);

	if (s)
		return s;
	if (n == 4 && !memcmp(name, "help", 4))
		return &help_spec;
	if ((s = long_in(it->also, name, n)))
		it->from_also = 1;
	return s;
}

static const struct opt_spec *by_short(struct opt_iter *it,
				       const struct opt_spec *specs, char c)
{
	const struct opt_spec *s = short_in(specs, c);

	if (s)
		return s;
	if (c == 'h')
		return &help_spec;
	if ((s = short_in(it->also, c)))
		it->from_also = 1;
	return s;
}

static void hint_long(struct opt_iter *it, const struct opt_spec *specs,
		      const char *name, size_t n)
{
	struct suggest sg;
	char *word = xstrndup(name, n);
	const char *hint;

	suggest_init(&sg, word);
	for (; specs->key; specs++)
		if (specs->name)
			suggest_add(&sg, specs->name);
	for (specs = it->also; specs && specs->key; specs++)
		if (specs->name)
			suggest_add(&sg, specs->name);
	suggest_add(&sg, "help");
	if ((hint = suggest_hint(&sg, "--")))
		snprintf(it->hint, sizeof(it->hint), "%s", hint);
	suggest_release(&sg);
	free(word);
}

int opt_next(struct opt_iter *it, const struct opt_spec *specs,
	     struct err *err)
{
	const struct opt_spec *s;
	const char *a;

	it->arg = NULL;
	it->from_also = 0;
	it->hint[0] = '\0';
	if (it->cluster && *it->cluster) {
		char c = *it->cluster++;

		s = by_short(it, specs, c);
		if (!s)
			return err_set(err, "unknown option '-%c'", c);
		if (s->has_arg) {
			if (*it->cluster) {
				it->arg = it->cluster;
			} else if (it->i < it->argc) {
				it->arg = it->argv[it->i++];
			} else {
				it->cluster = NULL;
				return err_set(err, "option '-%c' needs a value",
					       c);
			}
			it->cluster = NULL;
		}
		return s->key;
	}
	it->cluster = NULL;
	while (it->i < it->argc) {
		a = it->argv[it->i];
		if (!strcmp(a, "--")) {
			it->i++;
			if (it->stop_at_operand)
				return 0;
			while (it->i < it->argc)
				it->operands[it->noperands++] =
					it->argv[it->i++];
			return 0;
		}
		if (a[0] != '-' || !a[1]) {
			if (it->stop_at_operand)
				return 0;
			it->operands[it->noperands++] = it->argv[it->i++];
			continue;
		}
		it->i++;
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);

			s = by_long(it, specs, name, n);
			if (!s) {
				hint_long(it, specs, name, n);
				return err_set(err, "unknown option '--%.*s'",
					       (int)n, name);
			}
			if (s->has_arg == 2) {
				it->arg = eq ? eq + 1 : NULL;
				return s->key;
			}
			if (!s->has_arg && eq)
				return err_set(err,
					       "option '--%s' takes no value",
					       s->name);
			if (s->has_arg) {
				if (eq) {
					it->arg = eq + 1;
				} else if (it->i < it->argc) {
					it->arg = it->argv[it->i++];
				} else {
					return err_set(err,
						       "option '--%s' needs a "
						       "value",
						       s->name);
				}
			}
			return s->key;
		}
		it->cluster = a + 1;
		return opt_next(it, specs, err);
	}
	return 0;
}

void opt_help(struct buf *out, const struct opt_spec *specs)
{
	const struct opt_spec *s;
	struct buf col = BUF_INIT;

	for (s = specs;; s++) {
		const struct opt_spec *o = s->key ? s : &help_spec;

		buf_truncate(&col, 0);
		if (o->key < 256)
			buf_addf(&col, "-%c%s", o->key, o->name ? ", " : "");
		else
			buf_adds(&col, "    ");
		if (o->name)
			buf_addf(&col, "--%s", o->name);
		if (o->has_arg == 2)
			buf_addf(&col, "[=%s]", o->argname ? o->argname : "VALUE");
		else if (o->has_arg)
			buf_addf(&col, o->name ? "=%s" : " %s",
				 o->argname ? o->argname : "VALUE");
		buf_addf(out, "  %-22s %s\n", col.data, o->help);
		if (!s->key)
			break;
	}
	buf_release(&col);
}
