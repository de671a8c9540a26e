#!/bin/bash
# start-cluster.sh -- a small but real Slurm 22.05 cluster (one slurmctld, two slurmd "n1" and
# "n2", 8 fake GPUs each) on ONE Debian 12 machine, as root, for Corral's Slurm tests and bench.
# Idempotent: when everything is up with the same configuration it only re-checks health (~1 s).
# Stop it with stop-cluster.sh (stops only what this script started, by pid). See README.md.
#
# Knobs (environment):
#   SLURM_MODE=auto|netns|local  netns: each slurmd in its own network+UTS+mount namespace with its
#                                own address (10.233.233.11/.12 on bridge slurmbr0) and hostname.
#                                local: both slurmd on the host network, ports 17001/17002.
#                                auto (default): netns where the kernel allows it, else local.
#   SLURM_CGROUP=0|1             1: proctrack/cgroup + task/cgroup (needs writable cgroup v1)
#   NODE_CPUS=16 NODE_MEM=64000  advertised per node (config_overrides lets them exceed the host)
#   SCHED_PARAMS=...             override SchedulerParameters (default batch_sched_delay=0)
#   SLURM_FRESH=0                1: wipe controller state + jobcomp log first
#   SKIP_APT=0                   1: never call apt-get
set -euo pipefail
T_START=$(date +%s.%N)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=/run/corral-slurm                      # pid files + markers of what we created
MODE=${SLURM_MODE:-auto}
CGROUP=${SLURM_CGROUP:-0}
NODE_CPUS=${NODE_CPUS:-16}
NODE_MEM=${NODE_MEM:-64000}
NODES="n1 n2"
BR=slurmbr0; NET=10.233.233

log() { printf '[start-cluster.sh %5.1fs] %s\n' "$(awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$*"; }
die() { echo "[start-cluster.sh] ERROR: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
alive() { # alive PID COMM -> true if PID is running and is COMM
  [ -n "${1:-}" ] && [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }
pidof_file() { cat "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------- 1. packages
PKGS="slurmctld slurmd slurm-client munge iproute2 util-linux curl"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  [ "${SKIP_APT:-0}" = 1 ] && die "missing packages:$missing (SKIP_APT=1)"
  log "apt-get install$missing"
  export DEBIAN_FRONTEND=noninteractive
  APT="apt-get -o DPkg::Lock::Timeout=600 -y -q"
  # shellcheck disable=SC2086
  $APT install --no-install-recommends $missing >/var/log/corral-slurm-apt.log 2>&1 || {
    $APT update >>/var/log/corral-slurm-apt.log 2>&1
    $APT install --no-install-recommends $missing >>/var/log/corral-slurm-apt.log 2>&1 || { tail -20 /var/log/corral-slurm-apt.log; die "apt-get failed"; }
  }
  log "packages installed"
fi
id slurm >/dev/null 2>&1 || die "user slurm missing (slurmctld package postinst creates it)"

mkdir -p "$RUN"

# ---------------------------------------------------------------- 2. mode
netns_ok() {
  local t=slurm-probe-$$
  ip netns add $t 2>/dev/null || return 1
  ip link add vprobe$$ type veth peer name eth0 netns $t 2>/dev/null || { ip netns del $t; return 1; }
  ip link del vprobe$$ 2>/dev/null || true; ip netns del $t
  ip link add brprobe$$ type bridge 2>/dev/null || return 1; ip link del brprobe$$
  unshare --uts --mount true 2>/dev/null || return 1
  [ -d /sys/fs/cgroup ] || return 1
}
if [ -f "$RUN/mode" ] && [ "$MODE" = auto ]; then MODE=$(cat "$RUN/mode"); fi
if [ "$MODE" = auto ]; then
  if netns_ok; then MODE=netns; else MODE=local; fi
fi
case $MODE in netns|local) ;; *) die "SLURM_MODE must be auto, netns or local";; esac

# ---------------------------------------------------------------- 3. config files
HOST=$(hostname -s)
[ -n "$HOST" ] || die "empty hostname"
CONF_SRC=$HERE/slurm.conf; [ $MODE = local ] && CONF_SRC=$HERE/slurm.conf.local
[ -r "$CONF_SRC" ] || die "missing $CONF_SRC"
TMPC=$(mktemp -p "$RUN" slurm.conf.XXXXXX); trap 'rm -f "$TMPC"' EXIT
if [ $MODE = netns ]; then CTLD_ADDR=$NET.1; else CTLD_ADDR=127.0.0.1; fi
sed -e "s/^SlurmctldHost=.*/SlurmctldHost=$HOST($CTLD_ADDR)/" \
    -e "/^NodeName=/s/ NodeHostname=vm / NodeHostname=$HOST /" \
    -e "/^NodeName=/s/ CPUs=[0-9]* / CPUs=$NODE_CPUS /" \
    -e "/^NodeName=/s/ RealMemory=[0-9]* / RealMemory=$NODE_MEM /" "$CONF_SRC" > "$TMPC"
if [ -n "${SCHED_PARAMS+x}" ]; then
  if [ -z "$SCHED_PARAMS" ]; then sed -i '/^SchedulerParameters=/d' "$TMPC"
  else sed -i "s|^SchedulerParameters=.*|SchedulerParameters=$SCHED_PARAMS|" "$TMPC"; fi
fi
if [ "$CGROUP" = 1 ]; then
  sed -i -e 's|^ProctrackType=.*|ProctrackType=proctrack/cgroup|' \
         -e 's|^TaskPlugin=.*|TaskPlugin=task/cgroup,task/affinity|' "$TMPC"
fi
NEWSUM=$( (cat "$TMPC" "$HERE/gres.conf" "$HERE/cgroup.conf"; echo "$MODE") | sha256sum | cut -c1-16)
OLDSUM=$(cat "$RUN/config.sum" 2>/dev/null || true)
if [ -n "$OLDSUM" ] && [ "$OLDSUM" != "$NEWSUM" ] && alive "$(pidof_file $RUN/slurmctld.pid)" slurmctld; then
  log "config changed since last start -> restarting our daemons (stop-cluster.sh)"
  KEEP_NET=1 "$HERE/stop-cluster.sh"
fi
mkdir -p /etc/slurm
install -m 0644 "$TMPC" /etc/slurm/slurm.conf; rm -f "$TMPC"
install -m 0644 "$HERE/gres.conf" /etc/slurm/gres.conf
install -m 0644 "$HERE/cgroup.conf" /etc/slurm/cgroup.conf
echo "$NEWSUM" > "$RUN/config.sum"; echo "$MODE" > "$RUN/mode"

# ---------------------------------------------------------------- 4. dirs, fake GPUs, keys
install -d -o slurm -g slurm -m 0755 /var/spool/slurmctld /var/log/slurm
install -d -m 0755 /var/spool/slurmd
for n in $NODES; do install -d -m 0755 /var/spool/slurmd/$n; done
if [ "${SLURM_FRESH:-0}" = 1 ] && ! alive "$(pidof_file /run/slurmctld.pid)" slurmctld; then
  find /var/spool/slurmctld -mindepth 1 -delete; rm -f /var/log/slurm/jobcomp.log
fi
if [ ! -d /run/slurm-fakegpu ]; then mkdir -p /run/slurm-fakegpu; touch "$RUN/created-fakegpu"; fi
for i in 0 1 2 3 4 5 6 7; do
  [ -c /run/slurm-fakegpu/nvidia$i ] || mknod -m 0666 /run/slurm-fakegpu/nvidia$i c 195 $i
done
if [ ! -s /etc/munge/munge.key ]; then
  install -d -o munge -g munge -m 0700 /etc/munge
  mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key; chmod 0600 /etc/munge/munge.key
fi

# ---------------------------------------------------------------- 5. munged
if alive "$(pidof_file /run/munge/munged.pid)" munged; then
  log "munged already running (pid $(cat /run/munge/munged.pid))"
else
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do alive "$(pidof_file /run/munge/munged.pid)" munged && break; sleep 0.1; done
  alive "$(pidof_file /run/munge/munged.pid)" munged || die "munged did not start (see /var/log/munge/munged.log)"
  cp /run/munge/munged.pid "$RUN/munged.pid"
  log "munged started (pid $(cat $RUN/munged.pid))"
fi
munge -n | unmunge >/dev/null || die "munge self-test failed"

# ---------------------------------------------------------------- 6. network namespaces
if [ $MODE = netns ]; then
  if ! ip link show $BR >/dev/null 2>&1; then
    ip link add $BR type bridge
    ip addr add $NET.1/24 dev $BR
    ip link set $BR up
    touch "$RUN/created-bridge"
  fi
  i=0
  for n in $NODES; do
    i=$((i+1))
    if [ ! -e /run/netns/slurm-$n ]; then
      ip netns add slurm-$n
      ip link add vslurm-$n type veth peer name eth0 netns slurm-$n
      ip link set vslurm-$n master $BR up
      ip -n slurm-$n addr add $NET.1$i/24 dev eth0
      ip -n slurm-$n link set eth0 up
      ip -n slurm-$n link set lo up
      # lets jobs reach any address of the host itself (services bound to 0.0.0.0); no NAT/internet
      ip -n slurm-$n route add default via $NET.1
      touch "$RUN/created-netns-$n"
    fi
  done
  # hosts with Docker: br_netfilter + FORWARD policy DROP would silently drop n1<->n2 traffic
  # (controller<->node traffic is unaffected). Not exercised on the test VM (no iptables there).
  if [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] && command -v iptables >/dev/null; then
    if ! iptables -C FORWARD -i $BR -o $BR -j ACCEPT 2>/dev/null; then
      iptables -I FORWARD -i $BR -o $BR -j ACCEPT && touch "$RUN/created-iptables"
    fi
  fi
  # /etc/hosts as seen inside the node namespaces (bind-mounted there; the host's file is untouched)
  { grep -v -w -e "$HOST" -e n1 -e n2 /etc/hosts || true
    echo "$NET.1 $HOST"; echo "$NET.11 n1"; echo "$NET.12 n2"; } > "$RUN/hosts"
fi

# ---------------------------------------------------------------- 7. slurmctld
if alive "$(pidof_file /run/slurmctld.pid)" slurmctld; then
  log "slurmctld already running (pid $(cat /run/slurmctld.pid))"
else
  /usr/sbin/slurmctld
  for _ in $(seq 100); do alive "$(pidof_file /run/slurmctld.pid)" slurmctld && break; sleep 0.1; done
  alive "$(pidof_file /run/slurmctld.pid)" slurmctld || { tail -20 /var/log/slurm/slurmctld.log; die "slurmctld did not start"; }
  cp /run/slurmctld.pid "$RUN/slurmctld.pid"
  log "slurmctld started (pid $(cat $RUN/slurmctld.pid))"
fi
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.1; done
scontrol ping | grep -q 'is UP' || die "slurmctld not answering"

# ---------------------------------------------------------------- 8. slurmd x2
for n in $NODES; do
  pf=/run/slurmd-$n.pid
  if alive "$(pidof_file $pf)" slurmd; then log "slurmd $n already running (pid $(cat $pf))"; continue; fi
  rm -f "$pf"
  if [ $MODE = netns ]; then
    # nsenter --net (NOT `ip netns exec`: that remounts /sys, hiding /sys/fs/cgroup -> slurmd fails)
    nsenter --net=/run/netns/slurm-$n unshare --uts --mount --propagation private \
      sh -c "mount --bind $RUN/hosts /etc/hosts && hostname $n && exec /usr/sbin/slurmd -N $n"
  else
    /usr/sbin/slurmd -N $n
  fi
  for _ in $(seq 100); do alive "$(pidof_file $pf)" slurmd && break; sleep 0.1; done
  alive "$(pidof_file $pf)" slurmd || { tail -20 /var/log/slurm/slurmd-$n.log; die "slurmd $n did not start"; }
  cp "$pf" "$RUN/slurmd-$n.pid"
  log "slurmd $n started (pid $(cat $pf))"
done
# wait for both nodes to register; clear stale DRAIN/DOWN left in saved state by earlier runs
resumed=0
for _ in $(seq 150); do
  st=$(sinfo -h -N -o '%N %t' | sort -u)
  bad=$(echo "$st" | awk '$2 ~ /drain|drng|down|fail|inval/ {print $1}' | paste -sd, -)
  if [ -n "$bad" ] && [ $resumed = 0 ]; then scontrol update nodename="$bad" state=resume || true; resumed=1; fi
  echo "$st" | awk '$2 !~ /^(idle|alloc|mix)$/ {x=1} END {exit x}' && break
  sleep 0.2
done
echo "$st" | awk '$2 !~ /^(idle|alloc|mix)$/ {x=1} END {exit x}' || { echo "$st"; die "nodes not ready"; }

# ---------------------------------------------------------------- 10. smoke test
out=$(timeout 60 srun -N2 --ntasks-per-node=1 -t 1 hostname 2>&1) || die "smoke test failed: $out"
log "smoke test srun -N2 hostname: $(echo $out)"
log "cluster up: mode=$MODE cgroup=$CGROUP nodes: $(sinfo -h -N -o '%N:%t:cpus=%c:%G' | paste -sd' ')"
