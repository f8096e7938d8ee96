#!/usr/bin/env bash
# Start (idempotently) a one-node SLURM cluster on this machine for the SLURM tests: munged, slurmctld,
# slurmd, partition "debug". Needs root (CI runs as root on a fresh Debian machine); installs Debian's
# slurm-wlm and munge with apt-get when they are missing. Elsewhere it says why it did nothing and exits 0
# (tests/test_slurm.py then skips with that reason).
#   bash scripts/slurm_test_cluster.sh          # start (or confirm running)
#   bash scripts/slurm_test_cluster.sh stop     # stop the daemons this script started
set -uo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
STATE=/var/spool/slurmctld
SPOOL=/var/spool/slurmd
LOGS=/var/log/slurm
MARK="# scgrn test cluster"

say() { echo "slurm_test_cluster: $*"; }

stop() {
    for name in slurmd slurmctld munged; do
        pidfile=/run/scgrn-$name.pid
        [ "$name" = munged ] && pidfile=/run/munge/munged.pid
        if [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; then say "stopped $name"; fi
    done
}

if [ "${1:-}" = stop ]; then stop; exit 0; fi

if [ "$(id -u)" != 0 ]; then
    say "not root: no test cluster started (the SLURM tests skip)"; exit 0
fi

node_idle() { timeout 10 sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; }
if command -v sinfo >/dev/null && node_idle; then
    say "already running: $(sinfo -h -o '%P %a %D %T' | head -1)"; exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends slurm-wlm munge; } >/tmp/scgrn-slurm-apt.log 2>&1 \
        || { say "apt-get failed (see /tmp/scgrn-slurm-apt.log): no test cluster"; exit 0; }
fi

# munge: a key, then the daemon (as the munge user, as Debian runs it)
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
MUNGE_USER=root
id munge >/dev/null 2>&1 && MUNGE_USER=munge
chown -R "$MUNGE_USER" /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 700 /etc/munge /var/lib/munge /var/log/munge; chmod 755 /run/munge; chmod 400 /etc/munge/munge.key
if ! munge -n >/dev/null 2>&1; then
    if [ "$MUNGE_USER" = munge ]; then runuser -u munge -- /usr/sbin/munged; else /usr/sbin/munged --force; fi
    for _ in $(seq 20); do munge -n >/dev/null 2>&1 && break; sleep 0.5; done
fi
munge -n >/dev/null 2>&1 || { say "munged did not start: no test cluster"; exit 0; }

# slurm.conf: this host as the only node, with its real CPUs and memory; memory is the consumable
# resource with the cores (CR_Core_Memory), and OverSubscribe=FORCE lets several small jobs share a core,
# as the tests' jobs are tiny.
HOST=$(hostname -s)
NODE_LINE=$(slurmd -C | head -1)
MEM=$(echo "$NODE_LINE" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
MEM=$(( MEM * 9 / 10 ))
NODE_LINE=$(echo "$NODE_LINE" | sed "s/^NodeName=[^ ]*/NodeName=$HOST/; s/RealMemory=[0-9]*/RealMemory=$MEM/")
CTLD_HOST=$HOST
if ! getent hosts "$HOST" >/dev/null; then  # a host name that does not resolve: give SLURM the address
    CTLD_HOST="$HOST(127.0.0.1)"; NODE_LINE="$NODE_LINE NodeAddr=127.0.0.1"
fi
mkdir -p "$CONF_DIR" "$STATE" "$SPOOL" "$LOGS"
if [ ! -f "$CONF" ] || grep -q "$MARK" "$CONF"; then
    cat >"$CONF" <<EOF
$MARK (scripts/slurm_test_cluster.sh); rewritten on each start
ClusterName=scgrntest
SlurmctldHost=$CTLD_HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=/run/scgrn-slurmctld.pid
SlurmdPidFile=/run/scgrn-slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerNode=1024
ReturnToService=2
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MpiDefault=none
MailProg=/bin/true
$NODE_LINE State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=7-00:00:00 State=UP OverSubscribe=FORCE:16
EOF
else
    say "$CONF exists and was not written by this script: using it as it is"
fi

pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld -c -i
for _ in $(seq 30); do timeout 5 scontrol ping 2>/dev/null | grep -q UP && break; sleep 1; done
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
for _ in $(seq 60); do
    node_idle && break
    pgrep -x slurmctld >/dev/null || break
    timeout 5 scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
    sleep 1
done
if node_idle; then
    say "running: $(sinfo -h -N -o '%N %P %T %c CPUs %m MB')"
    say "stop it with: bash scripts/slurm_test_cluster.sh stop"
else
    say "the node did not become idle (see $LOGS/slurmctld.log, $LOGS/slurmd.log); SLURM tests will skip"
    sinfo 2>&1 | head -5
fi
exit 0
