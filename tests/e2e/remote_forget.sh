#!/bin/bash
# cairn remote remove forgets what the store knew the remote's URL to hold
# (the remotes table, docs/store-format.md), so a remote added again under
# that URL is asked afresh; but not while another remote left points at
# the same URL.  Against the nginx fixture (NGINX, its state folder), as a
# push is what fills the table.  Skipped (77) when the fixture started no
# nginx.
# usage: remote_forget.sh CAIRN NGINX
CAIRN=$1
NGINX=$2
[ -s "$NGINX/url" ] || { echo "skipped: no nginx (the nginx fixture did not start one)"; exit 77; }
. "$(dirname "$0")/lib.sh"
URL=$(cat "$NGINX/url")/cache/e2e-remote-forget-$$
ROOT=$(cat "$NGINX/root")/e2e-remote-forget-$$
export HOME=$T/home XDG_CONFIG_HOME=$T/xdg
unset CAIRN_STORE
mkdir -p "$HOME" "$T/ws" || exit 1
trap 'rm -rf "$T" "$ROOT"' EXIT
cd "$T/ws" || exit 1

cat >cairn.toml <<'TOML'
[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "a.txt" }
TOML
run run
expect_rc run 0
run -q key generate k.pem
run remote add ci "$URL" --sign-key k.pem
expect_rc add 0
run push
expect_rc push 0
run push
expect_rc push-known 0
expect_match push-known "$out" ' 0 found there, 1 known there$'

# Another name for the same URL: removing one forgets nothing.
run remote add same "$URL" --user
expect_rc add-same 0
run remote remove ci
expect_rc remove-one-of-two 0
expect_eq remove-one-of-two "$out" "removed remote 'ci' from 'cairn.config.toml'"
run push same
expect_match still-known "$out" ' 0 found there, 1 known there$'

# The last one: the store forgets; the URL is asked again.
run remote remove same
expect_rc remove-last 0
expect_match remove-last "$out" "^removed remote 'same' from '$XDG_CONFIG_HOME/cairn/config.toml'
forgot the [0-9]+ objects it was known to hold$"
run remote add ci "$URL" --sign-key k.pem
run push
expect_rc push-forgotten 0
expect_match push-forgotten "$out" ' [1-9][0-9]* found there, 0 known there$'

# No store at all (another folder): nothing to forget, no error.
mkdir "$T/other" && cd "$T/other" || exit 1
run remote add x "$URL"
run remote remove x
expect_rc remove-no-store 0
expect_eq remove-no-store "$out$err" "removed remote 'x' from 'cairn.config.toml'"
finish
