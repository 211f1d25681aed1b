#!/bin/bash
# A remote at its limits: a push and a pull interrupted (SIGINT, as Ctrl-C
# sends) stop at once with exit 130 and keep what was whole; a full disk
# on the pulling side or on the server is a clear error, exit 3, and
# leaves the store sound.  Against the nginx fixture (NGINX, its state
# folder): /slow/ answers 20 requests a second, so a transfer is still
# under way when the signal comes.  The full disks are small tmpfs mounts
# (root only; skipped with the reason otherwise).  Skipped (77) when the
# fixture started no nginx.
# usage: remote_limits.sh CAIRN NGINX
CAIRN=$1
NGINX=$2
[ -s "$NGINX/url" ] || { echo "skipped: no nginx (the nginx fixture did not start one)"; exit 77; }
. "$(dirname "$0")/lib.sh"
DIR=e2e-remote-limits-$$
BASE=$(cat "$NGINX/url")
ROOT=$(cat "$NGINX/root")
LOG=$(cat "$NGINX/access")
export HOME=$T/home XDG_CONFIG_HOME=$T/xdg
unset CAIRN_STORE
mounts=
cleanup() {
	for m in $mounts; do umount "$m" 2>/dev/null; done
	rm -rf "$T" "$ROOT/$DIR" "$ROOT/$DIR-full"
}
trap cleanup EXIT
mkdir -p "$HOME" "$T/a" || exit 1
cd "$T/a" || exit 1

# bg ARGS...: cairn in the background ($pid); wait_log RE: until a request
# it made matching RE is in nginx's log (0), or cairn ended (1).
bg() {
	logged=$(wc -l <"$LOG")
	"$CAIRN" "$@" >"$T/bg.out" 2>"$T/bg.err" </dev/null &
	pid=$!
}
wait_log() {
	local i
	for i in $(seq 1 600); do
		[ "$(tail -n +$((logged + 1)) "$LOG" | grep -Ec "$1")" -ge "${2:-1}" ] &&
			return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# stop NAME RE [N]: SIGINT once RE is logged (N times); $rc, $err as run
# sets them.
stop() {
	if ! wait_log "$2" "${3:-1}"; then
		fail "$1" "ended before the signal could come"
	fi
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	err=$(cat "$T/bg.err")
}

cat >cairn.toml <<'TOML'
[stage.big]
cmd = "head -c 48000000 /dev/urandom > ${outs.o}"
outs = { o = "big.bin" }
TOML
run -q run
expect_rc run 0
big=$(sha256sum big.bin | cut -c1-64)
run -q key generate k.pem
run remote add slow "$BASE/slow/$DIR" --sign-key k.pem
run remote add fast "$BASE/cache/$DIR" --sign-key k.pem
expect_rc add 0

# ---- a push interrupted: 130, nothing of the run's record sent ----
bg --store "$T/a/.cairn/store" push slow
stop push-stopped "PUT /slow/$DIR/cas/"
expect_rc push-int 130
expect_match push-int "$err" "^cairn: error: interrupted: sent [0-9]+ objects? \([0-9.]+ [KM]?i?B\) to remote 'slow'; 'cairn push' again sends the rest$"
# The action record goes last: none is there.
expect_eq push-no-record "$(ls "$ROOT/$DIR/ac" 2>/dev/null | wc -l)" 0
stopped=$(ls "$ROOT/$DIR/cas" | wc -l)
run push slow
expect_rc push-again 0
expect_match push-again "$out" "^sent [0-9]+ objects \(.*\) to remote 'slow', 1 of them action records; [1-9][0-9]* found there"
# At once: the transfers under way were dropped, not finished (the file
# is 48 MB, about 40 chunks in one batch; a few had gone).
checks=$((checks + 1))
[ $((stopped * 2)) -lt "$(ls "$ROOT/$DIR/cas" | wc -l)" ] ||
	fail push-at-once "$stopped of $(ls "$ROOT/$DIR/cas" | wc -l) objects were there"

# The server loses it all; a push --verify finds that out and is
# interrupted: what the table believed is forgotten all the same, so the
# next push (no --verify) sends again.
rm -rf "${ROOT:?}/$DIR"
bg --store "$T/a/.cairn/store" push --verify slow
stop verify-stopped "PUT /slow/$DIR/cas/"
expect_rc verify-int 130
run push slow
expect_rc verify-after 0
expect_match verify-after "$out" "^sent [0-9]+ objects \(.*\) to remote 'slow', 1 of them action records"

# ---- a pull interrupted: 130, what was whole kept, the store sound ----
mkdir "$T/b" && cp cairn.toml cairn.lock cairn.config.toml k.pem "$T/b/" || exit 1
cd "$T/b" || exit 1
bg --store "$T/b/st" pull slow
# Once chunks are coming (the run, its log and a chunk or two came).
stop pull-stopped "GET /slow/$DIR/cas/" 4
expect_rc pull-int 130
expect_match pull-int "$err" "^cairn: error: interrupted: stored [0-9]+ objects? \(.*\) from remote 'slow'; 'cairn pull' again fetches the rest$"
run --store "$T/b/st" fsck
expect_rc pull-int-fsck 0
expect_match pull-int-fsck "$out" " 0 damaged; "
stopped=$(printf '%s' "$out" | sed -n 's/^checked \([0-9]*\) records.*/\1/p')
run --store "$T/b/st" pull fast
expect_rc pull-again 0
expect_match pull-again "$out" "^pulled 1 of 1 from remote 'fast'"
run --store "$T/b/st" fsck
# At once: what was under way was dropped, not fetched to its end.
checks=$((checks + 1))
[ $((${stopped:-99} * 2)) -lt "$(printf '%s' "$out" | sed -n 's/^checked \([0-9]*\) records.*/\1/p')" ] ||
	fail pull-at-once "$stopped records of: $out"
run --store "$T/b/st" run
expect_rc pull-run 0
expect_match pull-run "$out" "done: 0 ran, 1 restored"
expect_eq pull-bytes "$(sha256sum big.bin | cut -c1-64)" "$big"

# ---- full disks ----
if [ "$(id -u)" = 0 ] && mkdir -p "$T/full" "$ROOT/$DIR-full" &&
	mount -t tmpfs -o size=4m tmpfs "$T/full" 2>/dev/null
then
	mounts="$T/full"
	# Pulling into a store with no room: exit 3, said, the store sound.
	run --store "$T/full/st" pull fast
	expect_rc full-pull 3
	expect_match full-pull "$err" "^cairn: error: cannot commit to store '$T/full/st': no space left on device$"
	run --store "$T/full/st" fsck
	expect_rc full-pull-fsck 0
	expect_match full-pull-fsck "$out" " 0 damaged; "
	# A server with no room: its 500s retried, then exit 3 naming the
	# remote and the object; nothing believed sent.
	if mount -t tmpfs -o size=2m tmpfs "$ROOT/$DIR-full"; then
		mounts="$mounts $ROOT/$DIR-full"
		cd "$T/a" || exit 1
		run remote add full "$BASE/cache/$DIR-full" --sign-key k.pem
		run push full
		expect_rc full-server 3
		expect_match full-server "$err" "^cairn: error: remote 'full': PUT 'cas/[0-9a-f]{64}': "
		run push full
		expect_rc full-server-again 3
	fi
else
	echo "skipped: the full disks (needs root to mount a tmpfs)"
fi

finish
