#!/bin/bash
# stop-cluster.sh -- stop the test cluster started by start-cluster.sh. Kills ONLY the daemons whose pids
# start-cluster.sh recorded in /run/corral-slurm/*.pid (and only if that pid still runs the expected
# program), then removes the network namespaces / bridge / fake-GPU dir that start-cluster.sh created.
# A munged that was already running before start-cluster.sh (e.g. from systemd) is left alone.
# KEEP_NET=1 keeps namespaces/bridge (used by start-cluster.sh when it restarts after a config change).
set -u
RUN=/run/corral-slurm
[ "$(id -u)" = 0 ] || { echo "stop-cluster.sh: must run as root" >&2; exit 1; }
[ -d "$RUN" ] || { echo "stop-cluster.sh: nothing to stop ($RUN missing)"; exit 0; }
alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }

# 1. cancel this cluster's jobs so that slurmstepd and job processes exit cleanly
ctld=$(cat "$RUN/slurmctld.pid" 2>/dev/null || true)
if alive "$ctld" slurmctld; then
  ids=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | paste -sd' ' -)
  if [ -n "$ids" ]; then
    echo "stop-cluster.sh: cancelling jobs $ids"
    # shellcheck disable=SC2086
    timeout 10 scancel $ids 2>/dev/null || true
    for _ in $(seq 100); do [ -z "$(timeout 5 squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.2; done
  fi
fi

# Stop daemons by the pids start-cluster.sh recorded. Each takes ~2 s to exit after SIGTERM, so the
# Slurm daemons are signalled together, then munged.
stop_pids() { # stop_pids NAME:COMM ...
  local item name comm pid t0 pids=() names=() comms=()
  t0=$(date +%s.%N)
  for item in "$@"; do
    name=${item%%:*}; comm=${item##*:}
    pid=$(cat "$RUN/$name.pid" 2>/dev/null || true)
    if alive "$pid" "$comm"; then kill -TERM "$pid"; pids+=("$pid"); names+=("$name"); comms+=("$comm")
    elif [ -n "$pid" ]; then echo "stop-cluster.sh: $name (pid $pid) was not running"; fi
    rm -f "$RUN/$name.pid"
  done
  local i
  for i in "${!pids[@]}"; do
    for _ in $(seq 150); do alive "${pids[$i]}" "${comms[$i]}" || break; sleep 0.1; done
    if alive "${pids[$i]}" "${comms[$i]}"; then
      echo "stop-cluster.sh: ${names[$i]} (${pids[$i]}) ignored SIGTERM for 15 s, sending SIGKILL"; kill -KILL "${pids[$i]}"; sleep 0.2
    fi
    echo "stop-cluster.sh: stopped ${names[$i]} (pid ${pids[$i]}) after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
    # slurmctld runs as SlurmUser and cannot delete its pid file in /run; a stale /run/slurmctld.pid
    # later makes Debian's slurmctld prerm (apt remove/purge) run scancel and fail.
    for d in "/run/${names[$i]}.pid" "/run/munge/${names[$i]}.pid"; do
      [ "$(cat "$d" 2>/dev/null)" = "${pids[$i]}" ] && rm -f "$d"
    done
  done
  return 0
}
nodes=()
for f in "$RUN"/slurmd-*.pid; do [ -e "$f" ] && nodes+=("$(basename "$f" .pid):slurmd"); done
stop_pids "${nodes[@]}" slurmctld:slurmctld
stop_pids munged:munged   # only if start-cluster.sh started it itself

# warn about job step daemons that outlived their jobs (not started by us directly; not killed)
left=$(ps -eo pid=,args= | awk '$2 ~ /^slurmstepd:/' || true)
[ -n "$left" ] && echo "stop-cluster.sh: WARNING slurmstepd still running:" && echo "$left"

if [ "${KEEP_NET:-0}" != 1 ]; then
  for m in "$RUN"/created-netns-*; do
    [ -e "$m" ] || continue
    n=${m##*/created-netns-}
    ip netns del "slurm-$n" 2>/dev/null && echo "stop-cluster.sh: removed netns slurm-$n"
    rm -f "$m"
  done
  if [ -e "$RUN/created-iptables" ]; then
    iptables -D FORWARD -i slurmbr0 -o slurmbr0 -j ACCEPT 2>/dev/null; rm -f "$RUN/created-iptables"
  fi
  if [ -e "$RUN/created-bridge" ]; then
    ip link del slurmbr0 2>/dev/null && echo "stop-cluster.sh: removed bridge slurmbr0"; rm -f "$RUN/created-bridge"
  fi
  if [ -e "$RUN/created-fakegpu" ]; then rm -rf /run/slurm-fakegpu; rm -f "$RUN/created-fakegpu"; fi
  rm -f "$RUN/hosts" "$RUN/mode" "$RUN/config.sum"
fi
exit 0
