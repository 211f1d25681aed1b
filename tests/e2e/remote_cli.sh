#!/bin/bash
# The remote caches' configuration from the command line: cairn key
# generate|public and cairn remote add|list|remove, with their exact output,
# files and exit codes; the workspace's cairn.config.toml beside a graph
# (never taken for one), the user's config.toml, errors located in them.
# Needs no server (tests/e2e/remote.sh pushes and pulls).
# usage: remote_cli.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws" "$T/home" || exit 1
cd "$T/ws" || exit 1
export HOME=$T/home XDG_CONFIG_HOME=$T/xdg
unset CAIRN_STORE
U=$XDG_CONFIG_HOME/cairn/config.toml

# ---- keys ----
run key generate k.pem
expect_rc "key generate" 0
expect_match "key generate: hex" "$out" '^[0-9a-f]{64}$'
pub=$out
expect_eq "key generate: hint" "$err" "hint: the private key is 'k.pem' (keep it secret); pushes sign with it after 'cairn remote add NAME URL --sign-key k.pem', and others trust them with --trust and the public key above"
expect_eq "key generate: owner-only" "$(stat -c %a k.pem)" 600
expect_eq "key generate: PEM" "$(head -1 k.pem)" "-----BEGIN PRIVATE KEY-----"
expect_eq "key generate: openssl reads it" \
	"$(openssl pkey -in k.pem -noout -text 2>/dev/null | head -1)" \
	"ED25519 Private-Key:"
cp k.pem k.before
run key generate k.pem
expect_rc "key generate: never overwrites" 2
expect_eq "key generate: never overwrites: message" "$err" \
	"cairn: error: 'k.pem' already exists: a key is never overwritten"
expect_eq "key generate: never overwrites: stdout" "$out" ""
cmp -s k.pem k.before || fail "key generate" "k.pem changed"
run key public k.pem
expect_rc "key public" 0
expect_eq "key public: same key" "$out" "$pub"
run key public missing.pem
expect_rc "key public: missing" 2
expect_eq "key public: missing: message" "$err" \
	"cairn: error: cannot read key 'missing.pem': No such file or directory"
printf 'not a key\n' >junk.pem
run key public junk.pem
expect_rc "key public: junk" 2
expect_eq "key public: junk: message" "$err" \
	"cairn: error: cannot read key 'junk.pem': not a PEM private key (or one with a passphrase)"
# The default: key.pem beside the user's config, its folder made.
run -q key generate
expect_rc "key generate: default path" 0
expect_eq "key generate: default path: quiet" "$err" ""
[ -f "$XDG_CONFIG_HOME/cairn/key.pem" ] ||
	fail "key generate: default path" "no $XDG_CONFIG_HOME/cairn/key.pem"
run key public
expect_eq "key public: default path" "$out" "$(printf '%s' "$out" | grep -E '^[0-9a-f]{64}$')"
run key generate --json j.pem
expect_rc "key generate --json" 0
expect_match "key generate --json: text" "$out" \
	'^\{"public_key": "[0-9a-f]{64}", "private_key": "j.pem"\}$'
expect_eq "key generate --json: no hint" "$err" ""
run key gen
expect_rc "key: unknown subcommand" 2
expect_eq "key: unknown subcommand: message" "$err" "cairn: error: unknown subcommand 'key gen'
hint: see 'cairn help key'"
run key generate a.pem b.pem
expect_rc "key generate: two paths" 2

# ---- remote list, with none ----
run remote list
expect_rc "remote list: none" 0
expect_eq "remote list: none: stdout" "$out" ""
expect_eq "remote list: none: hint" "$err" \
	"hint: no remote is configured: 'cairn remote add NAME URL' adds one"
run remote list --json
expect_eq "remote list --json: none" "$out" "[]"

# ---- remote add ----
run remote add ci http://127.0.0.1:8080/cache/ --sign-key k.pem
expect_rc "remote add" 0
expect_eq "remote add: stdout" "$out" "added remote 'ci' to 'cairn.config.toml'"
expect_eq "remote add: file" "$(cat cairn.config.toml)" "[remote.ci]
url = \"http://127.0.0.1:8080/cache\"
trusted_keys = [\"$pub\"]
sign_key = \"k.pem\""
run remote add team https://cache.example/team --read-only --trust "$pub" \
	--trust "$(tr a-f A-F <<<"$pub")" --auth-env TEAM_AUTH --default
expect_rc "remote add: read-only" 0
expect_eq "remote add --default: stdout" "$out" "added remote 'team' to 'cairn.config.toml', the default"
# The default above the first table (a top-level key), a blank line after.
expect_eq "remote add --default: top" "$(head -n 3 cairn.config.toml)" "default_remote = \"team\"

[remote.ci]"
expect_eq "remote add: second table" "$(tail -n 6 cairn.config.toml)" "
[remote.team]
url = \"https://cache.example/team\"
read_only = true
trusted_keys = [\"$pub\"]
auth_env = \"TEAM_AUTH\""
run remote add home http://10.0.0.2/c --user --sign-key k.pem
expect_rc "remote add --user" 0
expect_eq "remote add --user: stdout" "$out" "added remote 'home' to '$U'"
expect_eq "remote add --user: absolute key" "$(grep sign_key "$U")" \
	"sign_key = \"$T/ws/k.pem\""
# The user's ci is shadowed by the workspace's.
run remote add ci http://user.example/ci --user
expect_rc "remote add --user: shadowed" 0

run remote list
expect_rc "remote list" 0
expect_eq "remote list: text" "$out" "ci    http://127.0.0.1:8080/cache  (trusts 1 key, signs with k.pem)
home  http://10.0.0.2/c  (trusts 1 key, signs with $T/ws/k.pem, user config)
team  https://cache.example/team  (default, read-only, trusts 1 key, credentials from \$TEAM_AUTH)"
expect_eq "remote list: no hint" "$err" ""
run remote list --json
expect_eq "remote list --json" "$out" "[
  {\"name\": \"ci\", \"url\": \"http://127.0.0.1:8080/cache\", \"default\": false, \"read_only\": false, \"trusted_keys\": [\"$pub\"], \"sign_key\": \"k.pem\", \"auth_env\": null, \"file\": \"cairn.config.toml\", \"line\": 3},
  {\"name\": \"home\", \"url\": \"http://10.0.0.2/c\", \"default\": false, \"read_only\": false, \"trusted_keys\": [\"$pub\"], \"sign_key\": \"$T/ws/k.pem\", \"auth_env\": null, \"file\": \"$U\", \"line\": 1},
  {\"name\": \"team\", \"url\": \"https://cache.example/team\", \"default\": true, \"read_only\": true, \"trusted_keys\": [\"$pub\"], \"sign_key\": null, \"auth_env\": \"TEAM_AUTH\", \"file\": \"cairn.config.toml\", \"line\": 8}
]"

# ---- refusals ----
run remote add ci http://other/ci
expect_rc "remote add: there" 2
expect_eq "remote add: there: message" "$err" \
	"cairn: error: remote 'ci' already exists in 'cairn.config.toml' ('cairn remote remove ci' first)"
cp cairn.config.toml c.before
run remote add x http://me:s3cret@host/c
expect_rc "remote add: credentials" 2
expect_eq "remote add: credentials: message" "$err" \
	"cairn: error: the url of remote 'x' holds credentials: put them in ~/.netrc or in the variable auth_env names, never in a file that may be committed"
run remote add x ftp://host/c
expect_rc "remote add: not http" 2
expect_eq "remote add: not http: message" "$err" \
	"cairn: error: the url of remote 'x' must start with http:// or https://"
run remote add x.y http://host/c
expect_rc "remote add: bad name" 2
expect_eq "remote add: bad name: message" "$err" \
	"cairn: error: invalid remote name 'x.y': use letters, digits, '_' and '-'"
run remote add x http://host/c --trust abc
expect_rc "remote add: bad key" 2
expect_eq "remote add: bad key: message" "$err" \
	"cairn: error: invalid key 'abc': a public key is 64 hex digits, as 'cairn key generate' prints
hint: usage: cairn remote add NAME URL [--read-only] [--trust HEX]... [--sign-key PATH] [--auth-env VAR] [--user] [--default] (see 'cairn help remote add')"
run remote add x http://host/c --sign-key junk.pem
expect_rc "remote add: bad sign key" 2
expect_eq "remote add: bad sign key: message" "$err" \
	"cairn: error: cannot read key 'junk.pem': not a PEM private key (or one with a passphrase)"
run remote add x
expect_rc "remote add: one operand" 2
expect_match "remote add: one operand: message" "$err" \
	"^cairn: error: give the remote's name and URL"
cmp -s cairn.config.toml c.before ||
	fail "remote add: refusals" "cairn.config.toml changed"
run remote rmove ci
expect_rc "remote: unknown subcommand" 2
expect_eq "remote: unknown subcommand: message" "$err" \
	"cairn: error: unknown subcommand 'remote rmove'
hint: did you mean 'remote remove'?"

# ---- a graph beside the config: the config is never taken for a graph ----
cat >train.toml <<'TOML'
[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "a.txt" }
TOML
run run
expect_rc "run beside the config" 0
expect_eq "run beside the config: ran" "$(cat a.txt)" "a"
run status
expect_rc "status beside the config" 0

# ---- errors in a config, located ----
cp cairn.config.toml c.good
printf '[remote.ci]\nurl = "http://h/c"\nsing_key = "k.pem"\n' >cairn.config.toml
run remote list
expect_rc "remote list: bad config" 2
expect_eq "remote list: bad config: message" "$err" \
	"cairn: error: cairn.config.toml:3:1: unknown key 'sing_key' in a remote; did you mean 'sign_key'?
 3 | sing_key = \"k.pem\"
   | ^"
printf '[remote.ci]\nurl = "http://me:s3cret@h/c"\n' >cairn.config.toml
run remote list
expect_rc "remote list: credentials in the config" 2
expect_eq "remote list: credentials in the config: message" "$err" \
	"cairn: error: cairn.config.toml:2:7: remote 'ci': the url holds credentials: put them in ~/.netrc or in the variable auth_env names, never in a file that may be committed"
mv c.good cairn.config.toml

# ---- remote remove ----
run remote remove tema
expect_rc "remote remove: unknown" 2
expect_eq "remote remove: unknown: message" "$err" \
	"cairn: error: unknown remote 'tema'; did you mean 'team'?"
run remote remove team
expect_rc "remote remove" 0
expect_eq "remote remove: stdout" "$out" "removed remote 'team' from 'cairn.config.toml'"
expect_eq "remote remove: file" "$(cat cairn.config.toml)" "[remote.ci]
url = \"http://127.0.0.1:8080/cache\"
trusted_keys = [\"$pub\"]
sign_key = \"k.pem\""
# The workspace's ci goes; the user's shows through.
run remote remove ci
expect_rc "remote remove: shadowing" 0
run remote list
expect_eq "remote list: the user's ci" "$out" "ci    http://user.example/ci  (user config)
home  http://10.0.0.2/c  (trusts 1 key, signs with $T/ws/k.pem, user config)"
run remote remove home
expect_rc "remote remove: the user's" 0
expect_eq "remote remove: the user's: stdout" "$out" "removed remote 'home' from '$U'"
run remote remove ci --user
expect_rc "remote remove --user" 0
run remote list
expect_eq "remote list: all gone" "$out" ""
expect_eq "remote remove: the files" "$(cat cairn.config.toml; cat "$U")" ""
run remote remove ci
expect_rc "remote remove: none left" 2
expect_eq "remote remove: none left: message" "$err" \
	"cairn: error: unknown remote 'ci': no remote is configured ('cairn remote add NAME URL' adds one)"

run help remote
expect_rc "help remote" 0
expect_match "help remote: usage" "$out" "^usage: cairn remote <add\|list\|remove>"
run help key
expect_rc "help key" 0
finish
