/*
 * `cairn completion bash|zsh`: a completion script made from the tables
 * the parser uses (the command table, each command's options, the global
 * options, the stage kinds), and `cairn completion names`, which the
 * script calls for the stage and instance names of the graph here.
 *
 * The script is three parts: the tables (_cairn_spec, _cairn_values,
 * generated below), a core both shells run (_cairn_parse reads the words
 * typed, _cairn_candidates says what may come next), and each shell's
 * own entry point (COMPREPLY for bash; _describe and compadd for zsh).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "graph.h"
#include "kinds.h"
#include "opt.h"
#include "util.h"
#include "version.h"

static const char sh_core[] =
	"# _cairn_parse WORD...: read the words before the one being completed.\n"
	"# Sets _cmd (the command; \"store add\" after a subcommand), _nops\n"
	"# (its operands so far), _skip (an option whose value is the next\n"
	"# word), _noopt (after --), _cdir (-C DIR) and _graph (a GRAPH\n"
	"# operand); _cairn_spec sets the command's tables.\n"
	"_cairn_parse() {\n"
	"\tlocal w\n"
	"\t_cmd= _nops=0 _skip= _noopt= _cdir= _graph=\n"
	"\t_opts=() _argopts=() _operands=() _subs=()\n"
	"\tfor w in \"$@\"; do\n"
	"\t\tif [[ -n $_skip ]]; then\n"
	"\t\t\t[[ $_skip == -C ]] && _cdir=$w\n"
	"\t\t\t_skip=\n"
	"\t\t\tcontinue\n"
	"\t\tfi\n"
	"\t\tif [[ -z $_noopt ]]; then\n"
	"\t\t\tcase $w in\n"
	"\t\t\t--) [[ -n $_cmd ]] && _noopt=1; continue ;;\n"
	"\t\t\t-C) _skip=-C; continue ;;\n"
	"\t\t\t-C?*) _cdir=${w#-C}; continue ;;\n"
	"\t\t\t--*=*) continue ;;\n"
	"\t\t\t-?*) _cairn_takes \"$w\" && _skip=$w; continue ;;\n"
	"\t\t\tesac\n"
	"\t\tfi\n"
	"\t\tif [[ -z $_cmd ]]; then\n"
	"\t\t\t_cmd=$w\n"
	"\t\t\t_cairn_spec \"$w\"\n"
	"\t\t\tcontinue\n"
	"\t\tfi\n"
	"\t\tif [[ ${#_subs[@]} -gt 0 && $_nops -eq 0 ]]; then\n"
	"\t\t\t_cmd=\"$_cmd $w\"\n"
	"\t\t\t_opts=() _argopts=() _operands=() _subs=()\n"
	"\t\t\t_cairn_spec \"$_cmd\"\n"
	"\t\t\tcontinue\n"
	"\t\tfi\n"
	"\t\t[[ $w == *.toml ]] && _graph=$w\n"
	"\t\t_nops=$((_nops + 1))\n"
	"\tdone\n"
	"}\n"
	"\n"
	"# Whether option $1 takes its value in the next word.\n"
	"_cairn_takes() {\n"
	"\tcase \" ${_cairn_gargs[*]} ${_argopts[*]} \" in\n"
	"\t*\" $1 \"*) return 0 ;;\n"
	"\tesac\n"
	"\treturn 1\n"
	"}\n"
	"\n"
	"# The stage and instance names of the graph, from cairn itself.\n"
	"_cairn_names() {\n"
	"\tlocal w\n"
	"\tlocal -a a\n"
	"\t[[ -n $_cdir ]] && a+=(-C \"$_cdir\")\n"
	"\ta+=(completion names)\n"
	"\t[[ -n $_graph ]] && a+=(\"$_graph\")\n"
	"\twhile IFS= read -r w; do\n"
	"\t\t_c+=(\"$w\")\n"
	"\tdone < <(\"$_cairn_bin\" \"${a[@]}\" 2>/dev/null)\n"
	"}\n"
	"\n"
	"# _cairn_candidates CUR: the whole words that may stand where CUR is, in\n"
	"# _c; _files=1 when a file may too, _toml=1 when a graph file may.\n"
	"_cairn_candidates() {\n"
	"\tlocal cur=$1 w opt\n"
	"\tlocal -a v\n"
	"\t_c=() _files= _toml=\n"
	"\tif [[ -n $_skip ]]; then\n"
	"\t\t_cairn_values \"$_skip\"\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tif [[ -z $_noopt && $cur == --*=* ]]; then\n"
	"\t\topt=${cur%%=*}\n"
	"\t\t_cairn_values \"$opt\"\n"
	"\t\tv=(\"${_c[@]}\")\n"
	"\t\t_c=()\n"
	"\t\tfor w in \"${v[@]}\"; do\n"
	"\t\t\t_c+=(\"$opt=$w\")\n"
	"\t\tdone\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tif [[ -z $_noopt && $cur == -* ]]; then\n"
	"\t\tif [[ -z $_cmd ]]; then\n"
	"\t\t\t_c=(\"${_cairn_gopts[@]}\")\n"
	"\t\telse\n"
	"\t\t\t_c=(\"${_opts[@]}\")\n"
	"\t\t\tfor w in \"${_cairn_gafter[@]}\"; do\n"
	"\t\t\t\t[[ \" ${_opts[*]} \" == *\" $w \"* ]] || _c+=(\"$w\")\n"
	"\t\t\tdone\n"
	"\t\tfi\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tif [[ -z $_cmd ]]; then\n"
	"\t\t_c=(\"${_cairn_commands[@]}\")\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tif [[ ${#_subs[@]} -gt 0 && $_nops -eq 0 ]]; then\n"
	"\t\t_c=(\"${_subs[@]}\")\n"
	"\t\treturn\n"
	"\tfi\n"
	"\t_files=1\n"
	"\tfor w in \"${_operands[@]}\"; do\n"
	"\t\tcase $w in\n"
	"\t\t@names) _cairn_names ;;\n"
	"\t\t@commands) _c+=(\"${_cairn_commands[@]}\") ;;\n"
	"\t\t@kinds) _c+=(\"${_cairn_kinds[@]}\") ;;\n"
	"\t\t@graph) _toml=1 ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"}\n";

static const char sh_bash[] =
	"_cairn() {\n"
	"\tlocal line=${COMP_LINE:0:COMP_POINT} cur= w brk= cls=\n"
	"\tlocal _cmd _nops _skip _noopt _cdir _graph _files _toml _cairn_bin\n"
	"\tlocal -a words _opts _argopts _operands _subs _c\n"
	"\tread -ra words <<<\"$line\"\n"
	"\tif [[ ${#words[@]} -gt 1 && $line != *[[:space:]] ]]; then\n"
	"\t\tcur=${words[${#words[@]} - 1]}\n"
	"\t\tunset 'words[${#words[@]} - 1]'\n"
	"\tfi\n"
	"\t_cairn_bin=${words[0]/#\\~/$HOME}\n"
	"\t_cairn_parse \"${words[@]:1}\"\n"
	"\t_cairn_candidates \"$cur\"\n"
	"\tCOMPREPLY=()\n"
	"\tfor w in \"${_c[@]}\"; do\n"
	"\t\t[[ $w == \"$cur\"* ]] && COMPREPLY+=(\"$w\")\n"
	"\tdone\n"
	"\tif [[ -n $_toml ]]; then\n"
	"\t\twhile IFS= read -r w; do\n"
	"\t\t\tCOMPREPLY+=(\"$w\")\n"
	"\t\tdone < <(compgen -f -X '!*.toml' -- \"$cur\")\n"
	"\tfi\n"
	"\t# Readline replaces only what follows the last = or : of the word\n"
	"\t# (when COMP_WORDBREAKS has them), so the replies are cut to that.\n"
	"\t[[ $COMP_WORDBREAKS == *=* ]] && cls+='='\n"
	"\t[[ $COMP_WORDBREAKS == *:* ]] && cls+=':'\n"
	"\t[[ -n $cls ]] && brk=${cur%\"${cur##*[\"$cls\"]}\"}\n"
	"\tif [[ -n $brk ]]; then\n"
	"\t\tfor w in \"${!COMPREPLY[@]}\"; do\n"
	"\t\t\tCOMPREPLY[w]=${COMPREPLY[w]#\"$brk\"}\n"
	"\t\tdone\n"
	"\tfi\n"
	"\tif [[ ${#COMPREPLY[@]} -eq 0 && -z $_files ]]; then\n"
	"\t\tcompopt +o default +o bashdefault 2>/dev/null\n"
	"\tfi\n"
	"\treturn 0\n"
	"}\n"
	"complete -o bashdefault -o default -F _cairn cairn\n";

static const char sh_zsh[] =
	"_cairn() {\n"
	"\tlocal _cmd _nops _skip _noopt _cdir _graph _files _toml _cairn_bin w\n"
	"\tlocal -a _opts _argopts _operands _subs _c descs\n"
	"\t_cairn_bin=${~words[1]}\n"
	"\t_cairn_parse \"${(@)words[2,CURRENT-1]}\"\n"
	"\t_cairn_candidates \"$PREFIX\"\n"
	"\tif [[ -z $_skip && ( -z $_cmd || ( -z $_noopt && $PREFIX == -* &&\n"
	"\t      $PREFIX != *=* ) ) ]]; then\n"
	"\t\tfor w in \"${_c[@]}\"; do\n"
	"\t\t\tif [[ -n $_cmd ]]; then\n"
	"\t\t\t\tdescs+=(\"$w:${_cairn_help[$_cmd $w]:-$_cairn_help[$w]}\")\n"
	"\t\t\telse\n"
	"\t\t\t\tdescs+=(\"$w:$_cairn_help[$w]\")\n"
	"\t\t\tfi\n"
	"\t\tdone\n"
	"\t\tif [[ -z $_cmd && $PREFIX != -* ]]; then\n"
	"\t\t\t_describe -t commands 'cairn command' descs\n"
	"\t\telse\n"
	"\t\t\t_describe -t options 'option' descs\n"
	"\t\tfi\n"
	"\telse\n"
	"\t\tcompadd -a _c\n"
	"\tfi\n"
	"\tif [[ -n $_toml ]]; then\n"
	"\t\t_files -g '*.toml'\n"
	"\telif [[ -n $_files ]]; then\n"
	"\t\t_files\n"
	"\tfi\n"
	"\treturn 0\n"
	"}\n"
	"\n"
	"if [[ $funcstack[1] == _cairn ]]; then\n"
	"\t_cairn \"$@\"\n"
	"else\n"
	"\tcompdef _cairn cairn\n"
	"fi\n";

/* s as one shell word, single-quoted. */
static void sh_quote(struct buf *out, const char *s)
{
	buf_addc(out, '\'');
	for (; *s; s++)
		if (*s == '\'')
			buf_adds(out, "'\\''");
		else
			buf_addc(out, *s);
	buf_addc(out, '\'');
}

/* The words an option is written as: -k and --name. */
static void opt_words(struct buf *out, const struct opt_spec *o)
{
	if (o->key < 256)
		buf_addf(out, " -%c", o->key);
	if (o->name)
		buf_addf(out, " --%s", o->name);
}

/* What is offered for an option: its long name, else its short one. */
static void opt_offer(struct buf *out, const struct opt_spec *o)
{
	if (o->name)
		buf_addf(out, " --%s", o->name);
	else
		buf_addf(out, " -%c", o->key);
}

/* Close a list of words written from mark on, each after a space: the
 * first space goes. */
static void list_close(struct buf *out, size_t mark)
{
	if (out->len > mark && out->data[mark] == ' ') {
		memmove(out->data + mark, out->data + mark + 1, out->len - mark);
		out->len--;
	}
	buf_addc(out, ')');
}

/* The subcommands of a usage "store <add|stat> [<args>]", or NULL. */
static const char *subcommands(const char *rest, size_t *len)
{
	const char *end;

	if (*rest != '<' || !(end = strchr(rest, '>')) ||
	    !memchr(rest, '|', (size_t)(end - rest)))
		return NULL;
	*len = (size_t)(end - rest - 1);
	return rest + 1;
}

/* Options that name stages take their values from the graph. */
static int names_stages(const struct opt_spec *o)
{
	const char *a = o->argname ? o->argname : "";

	return !strcmp(a, "STAGE") || !strcmp(a, "TARGET") ||
	       (o->name && !strcmp(o->name, "stage"));
}

/* One arm of _cairn_spec: command c's options, those that take a value
 * in the next word, and what its operands are (or its subcommands). */
static void spec_arm(struct buf *out, const struct command *c)
{
	const struct opt_spec *o;
	const char *rest, *subs;
	size_t n, len, mark;

	buf_adds(out, "\t");
	sh_quote(out, c->name);
	buf_adds(out, ")\n\t\t_opts=(");
	mark = out->len;
	for (o = c->opts; o && o->key; o++)
		opt_offer(out, o);
	buf_adds(out, " --help");
	list_close(out, mark);
	buf_adds(out, "\n\t\t_argopts=(");
	mark = out->len;
	for (o = c->opts; o && o->key; o++)
		if (o->has_arg == 1)
			opt_words(out, o);
	list_close(out, mark);
	buf_addc(out, '\n');
	rest = c->usage;
	n = strlen(c->name);
	if (!strncmp(rest, c->name, n))
		rest += n + (rest[n] == ' ');
	if ((subs = subcommands(rest, &len))) {
		buf_adds(out, "\t\t_subs=(");
		for (n = 0; n < len; n++)
			buf_addc(out, subs[n] == '|' ? ' ' : subs[n]);
		buf_adds(out, ")\n");
	} else {
		buf_adds(out, "\t\t_operands=(");
		mark = out->len;
		if (strstr(rest, "TARGET") || strstr(rest, "STAGE") ||
		    strstr(rest, "INSTANCE"))
			buf_adds(out, " @names");
		if (strstr(rest, "<command>"))
			buf_adds(out, " @commands");
		if (strstr(rest, "<kind>") || strstr(rest, "KIND"))
			buf_adds(out, " @kinds");
		if (strstr(rest, "GRAPH"))
			buf_adds(out, " @graph");
		list_close(out, mark);
		buf_addc(out, '\n');
	}
	buf_adds(out, "\t\t;;\n");
}

/* _cairn_spec: per command and per subcommand ("store add"), from the
 * tables its --help prints. */
static void emit_spec(struct buf *out, const struct command *const *cmds)
{
	const struct command *const *sub;
	size_t i;

	buf_adds(out, "# _cairn_spec COMMAND: its options (_opts), those whose "
		      "value is the next\n# word (_argopts), what its "
		      "operands are (_operands) or its subcommands (_subs).\n"
		      "_cairn_spec() {\n\tcase $1 in\n");
	for (i = 0; cmds[i]; i++) {
		spec_arm(out, cmds[i]);
		for (sub = cmds[i]->subs; sub && *sub; sub++)
			spec_arm(out, *sub);
	}
	buf_adds(out, "\tesac\n}\n\n");
}

/* cmd as a case pattern: quoted, but "*" (any command). */
static void cmd_pattern(struct buf *out, const char *cmd)
{
	if (strcmp(cmd, "*"))
		sh_quote(out, cmd);
	else
		buf_adds(out, cmd);
}

/* One arm of _cairn_values: the patterns "'CMD':-k|'CMD':--name)". */
static void value_arm(struct buf *out, const char *cmd,
		      const struct opt_spec *o, const char *what)
{
	buf_addc(out, '\t');
	if (o->key < 256) {
		cmd_pattern(out, cmd);
		buf_addf(out, ":-%c%s", o->key, o->name ? "|" : "");
	}
	if (o->name) {
		cmd_pattern(out, cmd);
		buf_addf(out, ":--%s", o->name);
	}
	buf_addf(out, ") %s ;;\n", what);
}

/* The arms of _cairn_values for command c's options. */
static void value_arms(struct buf *out, const struct command *c)
{
	const struct opt_spec *o;
	struct buf what = BUF_INIT;
	const char *ch;

	for (o = c->opts; o && o->key; o++) {
		if (!o->has_arg)
			continue;
		buf_truncate(&what, 0);
		if (names_stages(o)) {
			buf_adds(&what, "_files=; _cairn_names");
		} else if (o->argname && strchr(o->argname, '|')) {
			buf_adds(&what, "_files=; _c=(");
			for (ch = o->argname; *ch; ch++)
				buf_addc(&what, *ch == '|' ? ' ' : *ch);
			buf_addc(&what, ')');
		} else {
			continue;
		}
		value_arm(out, c->name, o, what.data);
	}
	buf_release(&what);
}

/* _cairn_values: the values of the options that have a known set (stage
 * names, or an ARGNAME like "ok|failed"); any other value may be a
 * file. */
static void emit_values(struct buf *out, const struct command *const *cmds,
			const struct opt_spec *global)
{
	const struct command *const *sub;
	const struct opt_spec *o;
	struct buf what = BUF_INIT;
	size_t i;
	const char *c;

	buf_adds(out, "# _cairn_values OPTION: the values of OPTION of "
		      "_cmd, in _c.\n_cairn_values() {\n\t_files=1\n"
		      "\tcase $_cmd:$1 in\n");
	for (i = 0; cmds[i]; i++) {
		value_arms(out, cmds[i]);
		for (sub = cmds[i]->subs; sub && *sub; sub++)
			value_arms(out, *sub);
	}
	for (o = global; o->key; o++)
		if (o->has_arg && o->argname && strchr(o->argname, '|')) {
			buf_truncate(&what, 0);
			buf_adds(&what, "_files=; _c=(");
			for (c = o->argname; *c; c++)
				buf_addc(&what, *c == '|' ? ' ' : *c);
			buf_addc(&what, ')');
			value_arm(out, "*", o, what.data);
		}
	buf_adds(out, "\tesac\n}\n\n");
	buf_release(&what);
}

/* The lists of the whole command line: commands, global options (before
 * and after the command: --version only before), kinds. */
static void emit_lists(struct buf *out, const struct command *const *cmds,
		       const struct opt_spec *global)
{
	const struct stage_kind *const *k;
	const struct opt_spec *o;
	size_t i, n, mark;

	buf_adds(out, "_cairn_commands=(");
	for (i = 0; cmds[i]; i++)
		buf_addf(out, "%s%s", i ? " " : "", cmds[i]->name);
	buf_adds(out, ")\n_cairn_gopts=(");
	mark = out->len;
	for (o = global; o->key; o++)
		opt_offer(out, o);
	buf_adds(out, " --help");
	list_close(out, mark);
	buf_adds(out, "\n_cairn_gafter=(");
	mark = out->len;
	for (o = global; o->key; o++)
		if (!o->name || strcmp(o->name, "version"))
			opt_offer(out, o);
	list_close(out, mark);
	buf_adds(out, "\n_cairn_gargs=(");
	mark = out->len;
	for (o = global; o->key; o++)
		if (o->has_arg == 1)
			opt_words(out, o);
	list_close(out, mark);
	buf_adds(out, "\n_cairn_kinds=(");
	k = kinds_list(&n);
	for (i = 0; i < n; i++)
		buf_addf(out, "%s%s", i ? " " : "", k[i]->name);
	buf_adds(out, ")\n\n");
}

/* zsh's descriptions of command c's options ("store add --root"). */
static void help_opts(struct buf *out, const struct command *c)
{
	const struct opt_spec *o;
	struct buf key = BUF_INIT;

	for (o = c->opts; o && o->key; o++) {
		buf_truncate(&key, 0);
		opt_offer(&key, o);
		buf_addf(out, "\t'%s %s' ", c->name, key.data + 1);
		sh_quote(out, o->help);
		buf_addc(out, '\n');
	}
	buf_release(&key);
}

/* zsh's descriptions: "COMMAND" and "OPTION" (a global one) to their
 * summary or help, "COMMAND OPTION" to the option's help. */
static void emit_help(struct buf *out, const struct command *const *cmds,
		      const struct opt_spec *global)
{
	const struct command *const *sub;
	const struct opt_spec *o;
	struct buf key = BUF_INIT;
	size_t i;

	buf_adds(out, "typeset -gA _cairn_help\n_cairn_help=(\n");
	for (o = global; o->key; o++) {
		buf_truncate(&key, 0);
		opt_offer(&key, o);
		buf_addf(out, "\t%s ", key.data + 1);
		sh_quote(out, o->help);
		buf_addc(out, '\n');
	}
	buf_adds(out, "\t--help 'show this help'\n");
	for (i = 0; cmds[i]; i++) {
		buf_addf(out, "\t%s ", cmds[i]->name);
		sh_quote(out, cmds[i]->summary);
		buf_addc(out, '\n');
		help_opts(out, cmds[i]);
		for (sub = cmds[i]->subs; sub && *sub; sub++)
			help_opts(out, *sub);
	}
	buf_adds(out, ")\n\n");
	buf_release(&key);
}

static void script(struct buf *out, int zsh)
{
	const struct command *const *cmds = cli_commands();
	const struct opt_spec *global = cli_global_opts();

	if (zsh)
		buf_adds(out, "#compdef cairn\n");
	buf_addf(out, "# %s completion for cairn %s, made by 'cairn completion "
		      "%s'.\n",
		 zsh ? "zsh" : "bash", cairn_version(), zsh ? "zsh" : "bash");
	if (zsh)
		buf_adds(out, "# Load it with: source <(cairn completion zsh) "
			      "(after compinit),\n# or save it as _cairn in a "
			      "folder of $fpath.\n\n");
	else
		buf_adds(out, "# Load it with: source <(cairn completion bash),"
			      "\n# or save it as ~/.local/share/bash-completion/"
			      "completions/cairn.\n\n");
	emit_lists(out, cmds, global);
	if (zsh)
		emit_help(out, cmds, global);
	emit_spec(out, cmds);
	emit_values(out, cmds, global);
	buf_adds(out, sh_core);
	buf_addc(out, '\n');
	buf_adds(out, zsh ? sh_zsh : sh_bash);
}

static const struct command sub_bash = {
	"completion bash", "", "completion bash", "", NULL, NULL
};
static const struct command sub_zsh = {
	"completion zsh", "", "completion zsh", "", NULL, NULL
};
static const struct command sub_names = {
	"completion names", "", "completion names [GRAPH]", "", NULL, NULL
};

static int script_run(struct cli *cli, int argc, char **argv, int zsh)
{
	struct opt_iter it;
	struct buf out = BUF_INIT;
	int rc;

	if (cli_operands(cli, zsh ? &sub_zsh : &sub_bash, argc, argv, 0, &it,
			 &rc) < 0)
		return rc;
	opt_release(&it);
	script(&out, zsh);
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	return EXIT_OK;
}

static int bash_run(struct cli *cli, int argc, char **argv)
{
	return script_run(cli, argc, argv, 0);
}

static int zsh_run(struct cli *cli, int argc, char **argv)
{
	return script_run(cli, argc, argv, 1);
}

/* The stage names in the graph's order, then the instance names that are
 * not a stage's: what a TARGET may be. */
static int names_run(struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct buf out = BUF_INIT;
	size_t i;
	int rc;

	if (cli_operands(cli, &sub_names, argc, argv, 1, &it, &rc) < 0)
		return rc;
	if (!(rc = cli_session_open(cli, it.noperands ? it.operands[0] : NULL,
				    CLI_GRAPH, &cs))) {
		for (i = 0; i < cs.g->nstages; i++)
			buf_addf(&out, "%s\n", cs.g->stages[i].name);
		for (i = 0; i < cs.g->ninsts; i++)
			if (strcmp(cs.g->insts[i].name,
				   cs.g->insts[i].stage->name))
				buf_addf(&out, "%s\n", cs.g->insts[i].name);
		fwrite(out.data, 1, out.len, stdout);
	}
	buf_release(&out);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

static const struct cli_sub subs[] = {
	{ "bash", bash_run },
	{ "zsh", zsh_run },
	{ "names", names_run },
};

static const struct command *const sub_cmds[] = {
	&sub_bash, &sub_zsh, &sub_names, NULL,
};

static int completion_run(struct cli *cli, const struct command *cmd,
			  int argc, char **argv)
{
	return cli_subcommand(cli, cmd, subs, ARRAY_LEN(subs), argc, argv);
}

const struct command cmd_completion = {
	.name = "completion",
	.summary = "a shell completion script (bash or zsh)",
	.usage = "completion <bash|zsh>",
	.description =
		"Print a script that completes cairn's commands, their options, "
		"the values\nof some (stage names, choices) and the stage and "
		"instance names of the graph\nhere (from 'cairn completion "
		"names [GRAPH]', which the script calls).\n"
		"  bash: source <(cairn completion bash), or save it as\n"
		"        ~/.local/share/bash-completion/completions/cairn\n"
		"  zsh:  source <(cairn completion zsh) after compinit, or save "
		"it as\n        _cairn in a folder of $fpath",
	.run = completion_run,
	.subs = sub_cmds,
};
