#!/usr/bin/env bash
# Integration: ajar shards as a Slurm job array (docs/distributed.md), on a
# single-node Slurm 22.05 brought up for the test (munge, slurmctld, slurmd,
# all in a temp dir, listening on 127.0.0.1 only), with every shard writing
# into one throwaway PostgreSQL store.
#  - sbatch --array=0-3 runs 4 shards of one seed (0..3 of 4)
#  - the shards' outputs together are exactly the planted pairs, none twice
#  - the store holds 4 ended scans and exactly the planted services
cd "$(dirname "$0")/../.."
# Slurm resolves its own host name, which getaddrinfo refuses in a namespace
# holding only lo: the daemons run on the host's loopback (127.0.0.1, their
# own ports), the scan uses connect discovery (no raw packets on the host)
# over 127.0.171.0/24, this test's own range, and PostgreSQL listens on
# 127.0.171.1 (the store tests' server is on 127.0.160.1).
export PG_ADDR=127.0.171.1 PG_PORT=15432
. tests/integration/lib.sh
. tests/tools/pg.sh

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends slurm-wlm munge >/dev/null 2>&1 || { bad "install slurm-wlm munge"; t_end; exit 1; }
fi

S=$T_TMP/slurm
H=$(hostname)
chmod 755 "$T_TMP"
mkdir -p "$S/munge" "$S/state" "$S/spool" "$S/log" "$S/out"
chmod 755 "$S" "$S/munge" "$S/log" "$S/out"
chown munge "$S/munge"
chown slurm "$S/state" "$S/log"
SPIDS=()
stop_slurm() {
    local p
    for p in "${SPIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done # slurmd may ignore SIGTERM
    for p in "${SPIDS[@]}"; do wait "$p" 2>/dev/null; done
    SPIDS=()
    pg_stop
}
trap 'stop_slurm; [ -n "${AJAR_SLURM_KEEP:-}" ] && cp -r "$S/log" "$S/out" "$AJAR_SLURM_KEEP/" 2>/dev/null; t_cleanup' EXIT

setpriv --reuid=munge --regid=munge --clear-groups mungekey -c -k "$S/munge/munge.key" >/dev/null 2>&1
setpriv --reuid=munge --regid=munge --clear-groups munged -F --key-file="$S/munge/munge.key" \
    --socket="$S/munge/munge.socket.2" --pid-file="$S/munge/munged.pid" \
    --log-file="$S/munge/munged.log" --seed-file="$S/munge/munged.seed" >/dev/null 2>&1 &
SPIDS+=($!)
for _ in $(seq 50); do [ -S "$S/munge/munge.socket.2" ] && break; sleep 0.1; done
: >"$S/plugstack.conf"
cat >"$S/slurm.conf" <<CONF
ClusterName=lab
SlurmctldHost=$H
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=slurm
AuthType=auth/munge
AuthInfo=socket=$S/munge/munge.socket.2
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
PlugStackConfig=$S/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$H CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES State=UP
CONF
export SLURM_CONF=$S/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >/dev/null 2>&1 &
SPIDS+=($!)
slurmd -D -f "$SLURM_CONF" >/dev/null 2>&1 &
SPIDS+=($!)
idle=0
for _ in $(seq 40); do
    [ "$(timeout 3 sinfo -h -o %T 2>/dev/null)" = idle ] && { idle=1; break; }
    sleep 0.2
done
check_eq "single-node Slurm is up (node idle)" "$idle" 1
if [ $idle != 1 ]; then tail -n 8 "$S/log/"*.log; t_end; exit 1; fi

pg_start "$T_TMP/pg" fast || { bad "PostgreSQL"; t_end; exit 1; }

# planted listeners, and one excluded
ports=(6379 9200 5432 27017)
specs=()
: >"$T_TMP/want"
for i in $(seq 1 30); do
    specs+=("127.0.171.$((i * 7)):${ports[$((i % 4))]}")
    echo "127.0.171.$((i * 7)):${ports[$((i % 4))]}" >>"$T_TMP/want"
done
specs+=("127.0.171.250:6379")
sort -o "$T_TMP/want" "$T_TMP/want"
start_listeners "$T_TMP/conns" "${specs[@]}" || { bad "listeners"; t_end; exit 1; }

cat >"$S/job.sh" <<JOB
#!/bin/sh
exec "$AJAR" scan --discovery-only -q --seed 7 \\
    --shard "\${SLURM_ARRAY_TASK_ID}/\${SLURM_ARRAY_TASK_COUNT}" --rate 20000 --retries 0 --timeout 500 \\
    -p 6379,9200,5432,27017 --exclude 127.0.171.250 --db "$PG_URL" 127.0.171.0/24
JOB
chmod 755 "$S/job.sh"
timeout ${AJAR_SLURM_WAIT:-90} sbatch --wait --array=0-3 --chdir="$S/out" -o "$S/out/shard-%a.jsonl" -e "$S/out/shard-%a.err" \
    "$S/job.sh" >/dev/null 2>"$T_TMP/sbatch.err"
check_eq "sbatch --array=0-3 --wait exit status" "$?" 0
check_eq "four shard outputs" "$(ls "$S/out"/shard-*.jsonl 2>/dev/null | wc -l)" 4
cat "$S/out"/shard-*.err 2>/dev/null | head -5
cat "$S/out"/shard-*.jsonl 2>/dev/null | jq -r '"\(.ip):\(.port)"' | sort >"$T_TMP/got"
check "the shards together found exactly the planted pairs" diff -u "$T_TMP/want" "$T_TMP/got"
check_eq "no pair found by two shards" "$(uniq -d "$T_TMP/got" | wc -l)" 0
PSQL=(psql -X -q -t -A "$PG_URL")
check_eq "the store holds 4 scans" "$("${PSQL[@]}" -c 'SELECT count(*) FROM scans')" 4
check_eq "every scan ended" "$("${PSQL[@]}" -c 'SELECT count(*) FROM scans WHERE end_time IS NOT NULL')" 4
"${PSQL[@]}" -c "SELECT address || ':' || port FROM services" | sort >"$T_TMP/stored"
check "the store holds exactly the planted services" diff -u "$T_TMP/want" "$T_TMP/stored"
check "the excluded address is not stored" bash -c "! grep -q 127.0.171.250 '$T_TMP/stored'"

t_end
