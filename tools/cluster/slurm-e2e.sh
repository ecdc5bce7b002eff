#!/usr/bin/env bash
# End-to-end check of sharded sampling on a real Slurm: installs Debian's slurm-wlm and munge
# (idempotent), starts a one-node cluster on this machine (munged, slurmctld, slurmd; CPUs=2),
# submits a job array of 4 shards of `phys sample --seeds` + `phys stats`, merges the shards and
# compares them with a single-process run: the images byte for byte, the statistics to 1e-12
# relative, the Frechet distances; and checks the srun form (2 tasks in one allocation). Needs root (apt, daemons); everything else lives in a temporary
# folder that is removed at the end, and the daemons it started are stopped by their pids.
#
# Usage: tools/cluster/slurm-e2e.sh [seeds, default 0-159] [extra phys sample options...]
# Run from the repository root after `npm run build`.
set -euo pipefail

SEEDS=${1:-0-159}
shift || true
SAMPLE_OPTS=("--sampler" "heun" "--steps" "18" "$@")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PHYS="$(command -v node) $ROOT/packages/cli/bin/phys.js"
[ -f "$ROOT/packages/cli/dist/bin.js" ] || { echo "build first: npm run build" >&2; exit 1; }

log() { printf '[slurm-e2e %(%H:%M:%S)T] %s\n' -1 "$*"; }

# 1. Packages (a no-op where they are installed already).
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  for i in 1 2 3 4 5 6 7 8 9 10; do
    if apt-get install -y --no-install-recommends slurm-wlm munge; then break; fi
    [ "$i" = 10 ] && { echo "apt-get install failed" >&2; exit 1; }
    apt-get update || true
    sleep 10
  done
fi
log "$(slurmctld -V), munge $(munged -V 2>&1 | head -1)"

WORK=$(mktemp -d /tmp/phys-slurm-e2e.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  set +e
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --user=root >/dev/null 2>&1
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[$i]}" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# 2. munge: the package's key (created by its postinst; made here on a bare machine), our own socket.
if [ ! -s /etc/munge/munge.key ]; then
  log "creating /etc/munge/munge.key"
  mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
mkdir -p "$WORK/munge"
chown munge:munge "$WORK/munge"
MUNGE_SOCKET="$WORK/munge/munge.socket"
runuser -u munge -- munged --socket="$MUNGE_SOCKET" --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/munge/munged.log" --seed-file="$WORK/munge/munged.seed"
for _ in $(seq 50); do [ -s "$WORK/munge/munged.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$WORK/munge/munged.pid")")
munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET" >/dev/null
log "munged up (pid ${PIDS[0]}), credential round trip ok"

# 3. A minimal slurm.conf: this host as controller and only node, 2 CPUs, no cgroups, no accounting.
HOST=$(hostname -s)
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/log"
cat > "$WORK/slurm.conf" <<CONF
ClusterName=physe2e
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmdTimeout=60
NodeName=$HOST CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$WORK/slurm.conf"

# 4. The daemons, in the foreground of their own background processes (so their pids are ours).
slurmctld -D -i >"$WORK/log/slurmctld.out" 2>&1 &
PIDS+=("$!")
slurmd -D >"$WORK/log/slurmd.out" 2>&1 &
PIDS+=("$!")
for i in $(seq 120); do
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  if [ "$i" = 120 ]; then
    echo "the node did not come up (state '$state')" >&2
    tail -n 20 "$WORK/log/"*.log "$WORK/log/"*.out >&2 || true
    exit 1
  fi
  sleep 1
done
log "cluster up: $(sinfo -h -o '%P %a %D %t %C')"

# 5. The job array: 4 shards, each `phys sample` (shard from SLURM_ARRAY_TASK_ID/COUNT) + `phys stats`.
OUT="$WORK/out"
mkdir -p "$OUT"
cat > "$WORK/shard.sbatch" <<JOB
#!/bin/bash
#SBATCH --job-name=phys-shards
#SBATCH --array=0-3
#SBATCH --cpus-per-task=1
#SBATCH --output=$OUT/slurm-%A_%a.out
set -euo pipefail
cd "$ROOT"
$PHYS sample --seeds $SEEDS --outdir "$OUT/shards/\$SLURM_ARRAY_TASK_ID" --subdirs --quiet ${SAMPLE_OPTS[*]}
$PHYS stats "$OUT/shards/\$SLURM_ARRAY_TASK_ID" --out "$OUT/stats-\$SLURM_ARRAY_TASK_ID.npz" --quiet
JOB
started=$(date +%s)
jobid=$(sbatch --parsable --wait "$WORK/shard.sbatch")
log "job array $jobid finished in $(( $(date +%s) - started )) s"
for f in "$OUT"/slurm-*.out; do sed "s|^|  $(basename "$f"): |" "$f"; done
if ! [ -f "$OUT/stats-0.npz" ] || ! [ -f "$OUT/stats-3.npz" ]; then echo "a shard failed" >&2; exit 1; fi

# 6. srun in one allocation: inside the job step each task's shard comes from SLURM_PROCID and
#    SLURM_NTASKS; the batch script itself (no srun) is one process whatever --ntasks says.
cat > "$WORK/srun.sbatch" <<JOB
#!/bin/bash
#SBATCH --job-name=phys-srun
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --output=$OUT/srun.out
set -euo pipefail
cd "$ROOT"
echo "batch script: SLURM_STEP_ID=\${SLURM_STEP_ID:-unset} SLURM_PROCID=\${SLURM_PROCID:-unset} SLURM_NTASKS=\${SLURM_NTASKS:-unset}"
$PHYS sample --seeds 0-3 --outdir "$OUT/srun-batch" --sampler euler --steps 2 --quiet
srun $PHYS sample --seeds 0-3 --outdir "$OUT/srun" --sampler euler --steps 2 --quiet
JOB
sbatch --parsable --wait "$WORK/srun.sbatch" >/dev/null
sed 's|^|  srun.out: |' "$OUT/srun.out"
grep -q 'shard 0/1 from single process: 4 seeds' "$OUT/srun.out" || { echo "the batch script was not one process" >&2; exit 1; }
for i in 0 1; do grep -q "shard $i/2 from SLURM_PROCID/SLURM_NTASKS: 2 seeds" "$OUT/srun.out" || { echo "srun task $i did not get shard $i/2" >&2; exit 1; }; done
[ "$(find "$OUT/srun" -name '*.png' | wc -l)" = 4 ] || { echo "srun tasks did not write the 4 seeds" >&2; exit 1; }
log "srun: 2 tasks took shards 0/2 and 1/2; the batch script alone was one process"

# 7. The same seeds in one process, and the comparison.
started=$(date +%s)
$PHYS sample --seeds "$SEEDS" --outdir "$OUT/single" --subdirs --quiet "${SAMPLE_OPTS[@]}"
$PHYS stats "$OUT/single" --out "$OUT/single.npz" --quiet
log "single process: $(( $(date +%s) - started )) s"
$PHYS stats --merge "$OUT"/stats-{0,1,2,3}.npz --out "$OUT/merged.npz"
(cd "$OUT/single" && find . -name '*.png' | sort) > "$OUT/single.list"
(cd "$OUT/shards" && find . -name '*.png' | sed 's|^\./[0-3]/|./|' | sort) > "$OUT/shards.list"
if ! cmp -s "$OUT/single.list" "$OUT/shards.list"; then echo "the shards wrote other files than the single run" >&2; diff "$OUT/single.list" "$OUT/shards.list" | head >&2; exit 1; fi
differ=0
while read -r f; do
  shard=$(ls -d "$OUT"/shards/*/"$f" 2>/dev/null | head -1)
  cmp -s "$OUT/single/$f" "$shard" || differ=$((differ + 1))
done < "$OUT/single.list"
log "$(wc -l < "$OUT/single.list") PNGs; per shard: $(for i in 0 1 2 3; do find "$OUT/shards/$i" -name '*.png' | wc -l; done | paste -sd ' '); byte-different from the single run: $differ"
cd "$ROOT"
fd_shards=$($PHYS eval --stats "$OUT"/stats-{0,1,2,3}.npz --quiet)
fd_single=$($PHYS eval --stats "$OUT/single.npz" --quiet)
node --input-type=module - "$OUT/merged.npz" "$OUT/single.npz" "$fd_shards" "$fd_single" "$differ" <<'NODE'
import { readFileSync } from 'node:fs';
import { readNpz } from '@phys/metrics';
const [merged, single, fdShards, fdSingle, differ] = process.argv.slice(2);
const a = readNpz(new Uint8Array(readFileSync(merged)));
const b = readNpz(new Uint8Array(readFileSync(single)));
const rel = (k) => {
  const x = a.get(k).data, y = b.get(k).data;
  let err = 0, scale = 0;
  for (let i = 0; i < y.length; i++) { err = Math.max(err, Math.abs(x[i] - y[i])); scale = Math.max(scale, Math.abs(y[i])); }
  return err / scale;
};
const fd = (t) => JSON.parse(t).metrics['FD_fashion-classifier'].value;
const r = { count: [a.get('count').data[0], b.get('count').data[0]], muRel: rel('mu'), sigmaRel: rel('sigma'), fdShards: fd(fdShards), fdSingle: fd(fdSingle) };
console.log(`merged vs single: count ${r.count.join(' vs ')}, mu max rel diff ${r.muRel.toExponential(2)}, sigma max rel diff ${r.sigmaRel.toExponential(2)}; FD_fashion-classifier shards ${r.fdShards} single ${r.fdSingle}`);
const pass = Number(differ) === 0 && r.count[0] === r.count[1] && r.muRel <= 1e-12 && r.sigmaRel <= 1e-12 && Math.abs(r.fdShards - r.fdSingle) <= 1e-9 * r.fdSingle;
console.log(pass ? 'PASS' : 'FAIL');
process.exitCode = pass ? 0 : 1;
NODE
