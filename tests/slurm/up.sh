#!/bin/bash
# Bring up a one-node Slurm cluster on localhost for the tests (as root):
# install munge and the Slurm daemons when missing, write slurm.conf from
# what slurmd detects, start munged, slurmctld and slurmd directly (no
# systemd needed), wait for the node, run a smoke job.  Idempotent: a
# cluster this script started is torn down first.  Exit 77 (ctest's skip)
# with the reason when this machine cannot do it: not root, no apt, ports
# taken.  ../shared/notes/slurm-single-node.md has the why of each step.
set -u
here=$(cd "$(dirname "$0")" && pwd)
state=/run/cairn-slurm
skip() { echo "skipped: $*"; exit 77; }
die() { echo "slurm-up: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "not root: cannot install or start Slurm daemons"
bash "$here/down.sh" --keep-munge >/dev/null 2>&1

need=()
for p in munge slurm-client slurmctld slurmd; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	command -v apt-get >/dev/null || skip "no apt-get to install ${need[*]}"
	# Keep the packages' postinst from starting half-configured daemons.
	made_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null 2>&1
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
		"${need[@]}" >/dev/null 2>&1
	rc=$?
	[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
	[ $rc = 0 ] || skip "cannot install ${need[*]} (apt-get failed)"
fi
for port in 6817 6818; do
	hex=$(printf '%04X' $port)
	grep -q ":$hex 00000000:0000 0A" /proc/net/tcp 2>/dev/null &&
		skip "port $port is taken: another Slurm runs here"
done
mkdir -p "$state"

# munge
install -d -o munge -g munge -m0755 /run/munge
[ -s /etc/munge/munge.key ] || mungekey --create >/dev/null 2>&1
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
	runuser -u munge -- /usr/sbin/munged || die "munged did not start"
	for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
	cp /run/munge/munged.pid "$state/munged.pid"
fi

# slurm.conf from what slurmd sees
node=$(slurmd -C | sed -n 's/^NodeName=\([^ ]*\).*/\1/p')
line=$(slurmd -C | sed -n '/^NodeName=/p')
[ -n "$node" ] || die "slurmd -C printed no node"
mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
chown slurm:slurm /var/lib/slurm/slurmctld /var/log/slurm
cat >/etc/slurm/slurm.conf <<CONF
# Written by cairn's tests/slurm/up.sh: a one-node cluster on localhost.
ClusterName=cairn-ci
SlurmctldHost=localhost
SlurmUser=slurm
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
DependencyParameters=kill_invalid_depend
MinJobAge=3600
KillWait=5
MpiDefault=none
MailProg=/bin/true
ReturnToService=2

$line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
rm -rf /var/lib/slurm/slurmctld/* /var/lib/slurm/slurmd/*
for f in slurmctld slurmd; do
	[ -f /var/log/slurm/$f.log ] && mv /var/log/slurm/$f.log /var/log/slurm/$f.log.prev
done
slurmctld || die "slurmctld did not start"
slurmd || die "slurmd did not start"
for f in slurmctld slurmd; do
	for _ in $(seq 100); do [ -s /run/$f.pid ] && break; sleep 0.05; done
	cp /run/$f.pid "$state/$f.pid" 2>/dev/null || die "no pid file for $f"
done
for _ in $(seq 200); do
	[ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = idle ] && break
	sleep 0.1
done
[ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = idle ] || {
	scontrol show node "$node" >&2
	tail -5 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2
	die "node $node did not become idle"
}
# Smoke: one job through.
id=$(sbatch --parsable -o /dev/null --wrap true) || die "sbatch failed"
for _ in $(seq 100); do
	st=$(scontrol show job -o "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
	[ "$st" = COMPLETED ] && break
	sleep 0.1
done
[ "$st" = COMPLETED ] || die "the smoke job ended $st"
echo "slurm: node $node up"
