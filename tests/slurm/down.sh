#!/bin/bash
# Tear down what tests/slurm/up.sh started: cancel the jobs, stop slurmd
# and slurmctld (and munged, unless --keep-munge, and only one up.sh
# started).  Only PIDs up.sh recorded, checked by name, are killed.
state=/run/cairn-slurm
[ -d "$state" ] || exit 0
command -v scancel >/dev/null && scancel --user=root >/dev/null 2>&1
stop() { # stop NAME
	local f=$state/$1.pid pid
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	if [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$1" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do [ -d /proc/"$pid" ] || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$f"
}
stop slurmd
stop slurmctld
pkill -x slurmstepd 2>/dev/null
[ "${1:-}" = --keep-munge ] || stop munged
exit 0
