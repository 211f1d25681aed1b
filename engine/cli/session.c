/*
 * What every command opens first and closes last: the graph file, the
 * graph loaded with -p, the store; and for the commands on the store
 * alone, the store.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "digest.h"
#include "err.h"
#include "graph.h"
#include "store.h"
#include "term.h"
#include "util.h"

static int is_graph_file(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && !strcmp(s + n - 5, ".toml");
}

/* cairn.toml, else the only *.toml here: into *out; else the count. */
static int graph_here(char **out)
{
	struct stat st;
	DIR *d;
	struct dirent *ent;
	char *found = NULL;
	int n = 0;

	*out = NULL;
	if (stat("cairn.toml", &st) == 0) {
		*out = xstrdup("cairn.toml");
		return 1;
	}
	if ((d = opendir("."))) {
		while ((ent = readdir(d))) {
			/* The remotes' config file is no graph. */
			if (is_graph_file(ent->d_name) &&
			    strcmp(ent->d_name, REMOTE_CONFIG_FILE)) {
				n++;
				free(found);
				found = xstrdup(ent->d_name);
			}
		}
		closedir(d);
	}
	if (n == 1)
		*out = found;
	else
		free(found);
	return n;
}

int cli_graph_operand(const struct opt_iter *it)
{
	return it->noperands && is_graph_file(it->operands[0]);
}

int cli_param(struct cli *cli, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct graph_override *ov;

	if (!eq || eq == arg) {
		term_error(&cli->term, "invalid '-p %s': write -p name=value",
			   arg);
		return EXIT_USAGE;
	}
	xgrow((void **)&cli->ov, &cli->capov, cli->nov + 1, sizeof(*ov));
	ov = &cli->ov[cli->nov++];
	ov->name = xstrndup(arg, (size_t)(eq - arg));
	ov->value = eq + 1;
	return 0;
}

void cli_params_release(struct cli *cli)
{
	size_t i;

	for (i = 0; i < cli->nov; i++)
		free((char *)cli->ov[i].name);
	free(cli->ov);
	cli->ov = NULL;
	cli->nov = cli->capov = 0;
}

const char *cli_store_path(const struct cli *cli)
{
	const char *env = getenv("CAIRN_STORE");

	if (cli->store)
		return cli->store;
	if (env && *env)
		return env;
	return ".cairn/store";
}

/* Whether the store is named outside the graph: --store, $CAIRN_STORE. */
static int store_given(const struct cli *cli)
{
	return cli->store || getenv("CAIRN_STORE");
}

int cli_store_fail(struct cli *cli, int rc, const struct err *err)
{
	term_error(&cli->term, "%s", err->msg);
	if (rc == STORE_CORRUPT)
		term_hint(&cli->term, "run 'cairn fsck' to see what is damaged");
	return rc == STORE_NOTFOUND || rc == STORE_AMBIGUOUS ||
			       rc == STORE_BADARG
		       ? EXIT_USAGE
		       : EXIT_INTERNAL;
}

/* arg's id as a path in the workspace: 0, or an exit code after saying
 * why. */
static int path_id(struct cli *cli, const char *arg, struct digest *id)
{
	const char *kind;
	struct err err;

	if (cli_path_id(arg, 0, id, &kind, &err) == 0)
		return 0;
	term_error(&cli->term, "%s", err.msg);
	return EXIT_USAGE;
}

static int all_hex(const char *s)
{
	for (; *s; s++)
		if (hex_value(*s) < 0)
			return 0;
	return 1;
}

int cli_parse_id(struct cli *cli, struct store *s, const char *arg,
		 struct digest *id)
{
	struct stat st;
	struct err err;
	int rc;

	if (strlen(arg) == DIGEST_HEX && digest_parse(arg, id) == 0)
		return 0;
	/* A file or folder: its id (a path all in hex digits is taken
	 * as a prefix first: './cafe' names the file). */
	if (!all_hex(arg) && stat(arg, &st) == 0)
		return path_id(cli, arg, id);
	if ((rc = store_resolve(s, arg, id, &err))) {
		if (rc == STORE_NOTFOUND && stat(arg, &st) == 0)
			return path_id(cli, arg, id);
		return cli_store_fail(cli, rc, &err);
	}
	return 0;
}

/* Open the store at path; a missing one is exit 2 with the hint. */
static int open_store(struct cli *cli, const char *path, unsigned flags,
		      const char *hint, struct store **out)
{
	struct err err;
	int rc = store_open(path, flags, out, &err);

	if (!rc)
		return 0;
	term_error(&cli->term, "%s", err.msg);
	if (rc == STORE_NOTFOUND)
		term_hint(&cli->term, "%s", hint);
	return rc == STORE_NOTFOUND ? EXIT_USAGE : EXIT_INTERNAL;
}

int cli_store_open(struct cli *cli, unsigned flags, struct store **out)
{
	return open_store(cli, cli_store_path(cli), flags,
			  "'cairn store add' creates one; --store or "
			  "CAIRN_STORE chooses another",
			  out);
}

int cli_session_file(struct cli *cli, const char *given, unsigned flags,
		     struct cli_session *cs)
{
	int n;

	if (cs->file)
		return 0;
	if (flags & CLI_GRAPH_FOR_STORE && !store_given(cli))
		flags |= CLI_GRAPH_IF_HERE;
	if (given) {
		cs->file = xstrdup(given);
	} else if (flags & (CLI_GRAPH | CLI_GRAPH_IF_HERE)) {
		n = graph_here(&cs->file);
		if (n != 1 && flags & CLI_GRAPH) {
			term_error(&cli->term,
				   n ? "%d graph files here; name one"
				     : "no graph file: cairn.toml or a *.toml "
				       "here",
				   n);
			return EXIT_USAGE;
		}
	}
	return 0;
}

int cli_session_graph(struct cli *cli, const char *given, unsigned flags,
		      struct cli_session *cs)
{
	struct err err;
	int rc;

	if ((rc = cli_session_file(cli, given, flags, cs)))
		return rc;
	if (cs->file &&
	    graph_load(cs->file, cli->ov, cli->nov, &cs->g, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		return EXIT_USAGE;
	}
	if (!cs->g || store_given(cli))
		cs->store_path = xstrdup(cli_store_path(cli));
	else if (cs->g->store && cs->g->store[0] == '/')
		cs->store_path = xstrdup(cs->g->store);
	else {
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s/%s", cs->g->workspace,
			 cs->g->store ? cs->g->store : ".cairn/store");
		cs->store_path = buf_detach(&b, NULL);
	}
	return 0;
}

int cli_cairn_dir(struct cli *cli, const char *path)
{
	struct buf gi = BUF_INIT;
	int fd, e, rc = 0;

	if ((e = mkdir_p(path, 1)) == 0 && mkdir(path, 0777) < 0)
		e = errno;
	if (e == EEXIST)
		return 0;
	buf_addf(&gi, "%s/.gitignore", path);
	if (e || (fd = open(gi.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0666)) < 0) {
		term_error(&cli->term, "cannot create '%s': %s",
			   e ? path : gi.data, strerror(e ? e : errno));
		rc = EXIT_INTERNAL;
	} else {
		if (write(fd, "*\n", 2) != 2)
			rc = -1;
		if (close(fd) < 0 || rc < 0) {
			term_error(&cli->term, "cannot write '%s': %s", gi.data,
				   strerror(errno));
			rc = EXIT_INTERNAL;
		}
	}
	buf_release(&gi);
	return rc;
}

/* A store made in a folder named .cairn: that folder as cli_cairn_dir
 * makes it. */
static int store_dir(struct cli *cli, const char *store)
{
	const char *slash = strrchr(store, '/');
	struct buf dir = BUF_INIT;
	struct stat st;
	int rc = 0;

	if (stat(store, &st) == 0)
		return 0;
	buf_add(&dir, store, slash ? (size_t)(slash - store) : 0);
	slash = strrchr(dir.data, '/');
	if (!strcmp(slash ? slash + 1 : dir.data, ".cairn"))
		rc = cli_cairn_dir(cli, dir.data);
	buf_release(&dir);
	return rc;
}

int cli_session_store(struct cli *cli, unsigned flags,
		      struct cli_session *cs)
{
	struct err err;
	unsigned how = 0;
	int rc;

	if (flags & CLI_STORE_CREATE && (rc = store_dir(cli, cs->store_path)))
		return rc;
	if (flags & CLI_STORE_CREATE)
		how = STORE_CREATE;
	if (flags & (CLI_STORE_RDONLY | CLI_STORE_IF_THERE))
		how = STORE_RDONLY;
	if (flags & CLI_STORE_IF_THERE) {
		if (store_open(cs->store_path, how, &cs->s, &err))
			cs->s = NULL;
		return 0;
	}
	return open_store(cli, cs->store_path, how,
			  "nothing has run yet: 'cairn run' creates the store",
			  &cs->s);
}

int cli_session_open(struct cli *cli, const char *given, unsigned flags,
		     struct cli_session *cs)
{
	int rc = cli_session_graph(cli, given, flags, cs);

	if (rc || !(flags & (CLI_STORE | CLI_STORE_RDONLY | CLI_STORE_CREATE |
			     CLI_STORE_IF_THERE)))
		return rc;
	return cli_session_store(cli, flags, cs);
}

int cli_session_live(struct cli *cli, const char *command,
		     struct cli_session *cs)
{
	struct buf what = BUF_INIT;
	struct err err;
	int rc;

	buf_addf(&what, "%s %s", command, cs->g->workspace);
	rc = store_live_begin(cs->s, what.data, &cs->live_mark, &err);
	buf_release(&what);
	if (rc) {
		term_error(&cli->term, "%s", err.msg);
		return EXIT_INTERNAL;
	}
	cs->live = 1;
	return 0;
}

void cli_session_close(struct cli *cli, struct cli_session *cs)
{
	struct err err;

	if (cs->live && store_live_end(cs->s, cs->live_mark, &err))
		term_warning(&cli->term, "%s", err.msg);
	store_close(cs->s);
	/* The process exits next: a graph of 100,000 instances is 1,000,000
	 * small blocks, and the kernel takes them back at once.  The
	 * sanitizer builds free it, to see every other leak. */
#ifdef CAIRN_FREE_AT_EXIT
	graph_free(cs->g);
#endif
	free(cs->file);
	free(cs->store_path);
	*cs = (struct cli_session)CLI_SESSION_INIT;
}
