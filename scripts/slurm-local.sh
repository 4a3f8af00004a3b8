#!/usr/bin/env bash
# A real Slurm cluster on this machine, for the tests of `curate submit slurm`: Debian's
# slurmctld and three slurmd nodes (n1-n3, one CPU each) authenticated by munge, with a small
# MaxArraySize (5) so that the tests see arrays split into chunks.
#
#   eval "$(scripts/slurm-local.sh start)"   installs (apt, by name), starts, waits until the nodes
#                                            are idle, prints `export SLURM_CONF=...`
#   scripts/slurm-local.sh stop              stops the daemons it started
#
# Runs as root (the daemons and munge need it; sudo is used when not root). State, logs and the
# config live in $CURATE_SLURM_DIR (default ~/.cache/curate-slurm); the system's /etc/slurm is
# not touched, so clients find the config through SLURM_CONF.
set -euo pipefail
dir=${CURATE_SLURM_DIR:-$HOME/.cache/curate-slurm}
conf=$dir/slurm.conf
nodes=(n1 n2 n3)
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
log() { echo "slurm-local: $*" >&2; }
fail() { log "error: $*"; exit 1; }

stop() {
  for pidfile in "$dir"/run/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    $sudo kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
  done
}

install() {
  local packages=(slurmctld slurmd slurm-client munge) missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || fail "apt-get not found; install Slurm (slurmctld, slurmd, client) and munge by hand"
    log "installing ${missing[*]}"
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
  for tool in slurmctld slurmd sbatch squeue scontrol sinfo munged munge unmunge; do
    command -v "$tool" >/dev/null || fail "$tool is not on the PATH after installing Slurm and munge"
  done
}

start_munge() {
  # munged refuses to start unless its directories belong to the munge user.
  $sudo mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
  $sudo chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
  $sudo chmod 0755 /run/munge
  [ -f /etc/munge/munge.key ] || $sudo mungekey --create >/dev/null 2>&1 || $sudo create-munge-key -f
  $sudo chown munge:munge /etc/munge/munge.key
  $sudo chmod 0400 /etc/munge/munge.key
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    $sudo su -s /bin/sh munge -c munged
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  munge -n | unmunge 2>&1 | grep -q 'STATUS: *Success' || fail "munge does not work (munge -n | unmunge)"
}

write_conf() {
  local host
  host=$(hostname -s)
  mkdir -p "$dir/state" "$dir/log" "$dir/run"
  for n in "${nodes[@]}"; do mkdir -p "$dir/spool/$n"; done
  cat >"$conf" <<EOF
ClusterName=curate-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.%n.log
SlurmctldPort=16817
ReturnToService=2
MpiDefault=none
MaxArraySize=5
MinJobAge=600
NodeName=n[1-3] NodeHostname=$host Port=17001-17003 CPUs=1 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=n[1-3] Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  install
  start_munge
  stop
  write_conf
  export SLURM_CONF=$conf
  # -c: start with no saved jobs or node state (a fresh cluster for every test run).
  $sudo slurmctld -c -f "$conf"
  for n in "${nodes[@]}"; do $sudo slurmd -N "$n" -f "$conf"; done
  for _ in $(seq 100); do
    idle=$(sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
    [ "$idle" -ge ${#nodes[@]} ] && break
    sleep 0.2
  done
  [ "$idle" -ge ${#nodes[@]} ] || fail "the nodes did not come up idle: $(sinfo -N 2>&1); see $dir/log"
  log "up: ${#nodes[@]} nodes idle (sinfo -N), config $conf"
  echo "export SLURM_CONF=$conf"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
