#!/bin/bash
# cairn completion: the bash script driven as readline would (COMP_LINE,
# COMP_POINT, COMP_WORDS), for commands, options, option values, stage and
# instance names, subcommands and their options; the zsh script (when zsh is installed)
# through its core and through a real TAB in an interactive zsh.
# usage: completion.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir bin ws
ln -s "$CAIRN" bin/cairn
export PATH=$T/bin:$PATH

cat >ws/cairn.toml <<'TOML'
[stage.prep]
cmd = "echo data > ${outs.d}"
outs = { d = "data.txt" }

[stage.train]
cmd = "cat ${deps.d} > ${outs.m}"
deps = { d = "${stage.prep.outs.d}" }
outs = { m = "model-${matrix.k}.txt" }
matrix = { k = [1, 2] }
TOML

# The names the script asks for: stages, then instances.
run -C ws completion names
expect_rc names 0
expect_eq names "$out" "prep
train
train[k=1]
train[k=2]"
run completion names
expect_rc names-no-graph 2
run completion fish
expect_rc unknown-shell 2
expect_eq unknown-shell "$err" "cairn: error: unknown subcommand 'completion fish'
hint: see 'cairn help completion'"
run completion
expect_rc no-shell 2

run completion bash
expect_rc bash 0
printf '%s\n' "$out" >cairn.bash
export T
cat >drive.bash <<'SH'
. "$T/cairn.bash"
# comp LINE: complete LINE as typed, the cursor at its end; the replies
# sorted, one a line.
comp() {
	COMP_LINE=$1 COMP_POINT=${#1}
	COMP_WORDBREAKS=$' \t\n"'"'"'><=;|&(:'
	read -ra COMP_WORDS <<<"$1"
	[[ $1 == *' ' ]] && COMP_WORDS+=('')
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_cairn cairn "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
complete -p cairn
SH
bcomp() {
	out=$(cd "${2:-.}" && bash -c '. "$T/drive.bash" >/dev/null; comp "$1"' _ "$1")
}
out=$(bash -c '. ./drive.bash')
expect_eq complete-p "$out" "complete -o bashdefault -o default -F _cairn cairn"

bcomp "cairn ru"
expect_eq commands "$out" "run
runs"
bcomp "cairn run --k"
expect_eq run-option "$out" "--keep-going"
bcomp "cairn --ver"
expect_eq global-options "$out" "--verbose
--version"
bcomp "cairn run --qu"
expect_eq global-after-command "$out" "--quiet"
bcomp "cairn run tr" ws
expect_eq stage-names "$out" "train
train[k=1]
train[k=2]"
bcomp "cairn run " ws
expect_eq names-and-graph "$out" "cairn.toml
prep
train
train[k=1]
train[k=2]"
# Readline replaces what follows the last '=': the replies are cut there.
bcomp "cairn status train[k=" ws
expect_eq instance-after-equals "$out" "1]
2]"
bcomp "cairn -C ws explain p"
expect_eq dash-C "$out" "prep"
bcomp "cairn run --force t" ws
expect_eq force-value "$out" "train
train[k=1]
train[k=2]"
bcomp "cairn runs --status "
expect_eq choices "$out" "failed
ok"
bcomp "cairn runs --status=o"
expect_eq choices-equals "$out" "ok"
bcomp "cairn store "
expect_eq subcommands "$out" "add
config
roots
stat
unroot"
bcomp "cairn help ki"
expect_eq help-operand "$out" "kind-run
kinds"
bcomp "cairn dag --"
expect_match dag-options "$out" '^--dot
--mermaid
--expand' 
# Every option of every command's help is offered after "cairn CMD --".
for c in $(bash -c '. ./cairn.bash; echo "${_cairn_commands[@]}"'); do
	want=$("$CAIRN" help "$c" | sed -n '/^Options:/,$p' |
	       grep -Eo '^ +(-., )?--[a-z-]+' |
	       sed 's/.*--/--/' | sort)
	bcomp "cairn $c --"
	got=$(printf '%s\n' "$out" | grep -Fxf <(printf '%s\n' "$want") | sort)
	expect_eq "options-of-$c" "$got" "$want"
done
# A subcommand's own options, from the table its --help prints.
bcomp "cairn store add --"
expect_eq sub-options "$out" "--color
--help
--json
--quiet
--root
--store
--verbose"
bcomp "cairn remote add --s"
expect_eq sub-option-prefix "$out" "--sign-key
--store"
bcomp "cairn -C ws key generate --j"
expect_eq sub-after-globals "$out" "--json"
bcomp "cairn store stat "
expect_eq sub-operand "$out" ""
# Every option of every subcommand's help is offered after "cairn CMD
# SUB --", and nothing that is not an option of it or a global one.
gafter=$(bash -c '. ./cairn.bash; printf "%s\n" "${_cairn_gafter[@]}"')
nsubs=0
for c in $(bash -c '. ./cairn.bash; echo "${_cairn_commands[@]}"'); do
	for s in $(bash -c '. ./cairn.bash; _cairn_spec "$1"; echo "${_subs[@]}"' _ "$c"); do
		nsubs=$((nsubs + 1))
		want=$("$CAIRN" "$c" "$s" --help | sed -n '/^Options:/,$p' |
		       grep -Eo '^ +(-., )?--[a-z-]+' |
		       sed 's/.*--/--/' | sort)
		bcomp "cairn $c $s --"
		got=$(printf '%s\n' "$out" | grep -Fvxf <(printf '%s\n' "$gafter") | sort)
		expect_eq "options-of-$c-$s" "$got" "$want"
	done
done
expect_eq subcommands-seen "$nsubs" 12
# Every command of 'cairn --help' completes.
want=$("$CAIRN" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF {print $1}' |
       grep -v Commands: | sort)
bcomp "cairn "
expect_eq all-commands "$out" "$want"

if ! command -v zsh >/dev/null; then
	echo "zsh: skipped (zsh is not installed)"
	finish
	exit
fi
run completion zsh
expect_rc zsh 0
printf '%s\n' "$out" >_cairn
zsh -n _cairn
rc=$?
expect_rc zsh-syntax 0
# The core the two shells share, under zsh.
out=$(cd ws && zsh -f -c 'autoload -U compinit; compinit -u -d "$1/zcd"
source "$1/_cairn"
print -r -- "comps=$_comps[cairn]"
local _cmd _nops _skip _noopt _cdir _graph _files _toml
local -a _opts _argopts _operands _subs _c
_cairn_bin=cairn
_cairn_parse run --force; _cairn_candidates ""; print -r -- "${_c[*]}"
_cairn_parse; _cairn_candidates "--st"; print -r -- "${_c[*]}"
_cairn_parse key; _cairn_candidates ""; print -r -- "${_c[*]}"
_cairn_parse key public; _cairn_candidates "--"; print -r -- "${_c[*]}"
print -r -- "$_cairn_help[key public --json]"' _ "$T")
expect_eq zsh-core "$out" "comps=_cairn
prep train train[k=1] train[k=2]
-C --color --store --quiet --verbose --version --help
generate public
--json --help -C --color --store --quiet --verbose
print as JSON"
# A real TAB, twice, in an interactive zsh: completed to the common
# prefix, then the matches listed (quoted for the shell).
cat >tab.zsh <<'ZSH'
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; autoload -U compinit; compinit -u -d $1/zcd2; source $1/_cairn; cd $1/ws"
zpty -w -n z $'cairn status tr\t\t'
local all= chunk i
for i in {1..50}; do
	sleep 0.1
	while zpty -r -t z chunk; do all+=$chunk; done
	[[ $all == *'train\[k=2\]'* ]] && break
done
zpty -d z
print -r -- "$all"
ZSH
out=$(timeout 30 zsh -f tab.zsh "$T" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g')
expect_match zsh-tab "$out" 'cairn status train'
expect_match zsh-tab-list "$out" 'train +train\\\[k=1\\\] +train\\\[k=2\\\]'
finish
