#!/usr/bin/env bash
# Side by side: TernKV (3 `tern server` processes) and etcd (3 members), both on 127.0.0.1 with
# data on disk and fsync on, loaded by the same closed-loop driver with the same JVM flags, in
# alternating rounds (TernKV, etcd, TernKV, etcd, ...). Writes into RESULTS_DIR:
#   results.csv  every phase of every round     summary.csv  medians per target/phase/in-flight
#   results.md   medians, TernKV/etcd ratios, overload rows, requests TernKV shed, memory (VmRSS)
#   throughput.png, latency-p99.png             logs/        server and driver logs
#
#   bench/compare-etcd.sh [options] [RESULTS_DIR]     (default bench/target/compare-etcd-<UTC time>)
#     --rounds N          rounds of TernKV then etcd (default 3, at least 1)
#     --warmup DURATION   untimed load before each measured phase (default 5s)
#     --duration DURATION measured time per phase and in-flight count (default 10s)
#     --inflight LIST     requests in flight, e.g. 1,16,64 (default 1,16,64)
#     --phases LIST       driver phases (default put,get: every read level of each system)
#     --overload LIST     TernKV-only in-flight counts for put and linearizable get (default
#                         256,1024; "none" to skip); the server sheds past max-inflight-requests
#     --keys N            keys preloaded and read (default 10000)
#     --value-size BYTES  value size (default 256)
#     --no-build          use the jars already built
#   Durations take ms, s or m. etcd comes from Debian (etcd-server) when it is not installed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rounds=3 warmup=5s duration=10s inflight=1,16,64 phases=put,get overload=256,1024
keys=10000 value_size=256 build=1 out=""
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --inflight) inflight="$2"; shift ;;
    --phases) phases="$2"; shift ;;
    --overload) overload="$2"; shift ;;
    --keys) keys="$2"; shift ;;
    --value-size) value_size="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "error: unknown option '$1' (see bench/compare-etcd.sh --help)" >&2; exit 2 ;;
    *) [ -z "$out" ] || { echo "error: one results directory, not '$out' and '$1'" >&2; exit 2; }; out="$1" ;;
  esac
  shift
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "error: --rounds takes a whole number from 1, not '$rounds'" >&2; exit 2; }
out="${out:-bench/target/compare-etcd-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out/logs"
out="$(cd "$out" && pwd)"

# The driver and the servers: the same flags for both systems.
DRIVER_JAVA_OPTS="${DRIVER_JAVA_OPTS:--Xms1g -Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=2}"
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:--Xms512m -Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=2}"

if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
  echo "etcd not found: installing etcd-server and etcd-client from Debian ..." >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq etcd-server etcd-client >&2
fi
echo "etcd: $(etcd --version | head -1); java: $(java -version 2>&1 | head -1)" >&2

if [ "$build" = 1 ]; then
  echo "building tern.jar and benchmarks.jar ..." >&2
  ./mvnw -B -q -pl proto,db-client,db-server,db-shell,bench package -DskipTests >&2
fi
tern_jar="$root/db-shell/target/tern.jar"
bench_jar="$root/bench/target/benchmarks.jar"
for j in "$tern_jar" "$bench_jar"; do
  [ -f "$j" ] || { echo "error: $j is missing (run without --no-build)" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/compare-etcd.XXXXXX")"
pids=()
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  cp "$work"/*.log "$out/logs/" 2>/dev/null || true
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT
trap 'echo "interrupted: stopping everything started" >&2; exit 130' INT TERM

used_ports=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    case "$used_ports" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports="$used_ports$p "
      echo "$p"
      return
    fi
  done
}

# etcd: 3 members, default fsync.
etcd_cluster="" etcd_endpoints=""
declare -a etcd_client etcd_peer
for i in 1 2 3; do
  etcd_client[$i]=$(free_port); etcd_peer[$i]=$(free_port)
  etcd_cluster="${etcd_cluster:+$etcd_cluster,}e$i=http://127.0.0.1:${etcd_peer[$i]}"
  etcd_endpoints="${etcd_endpoints:+$etcd_endpoints,}127.0.0.1:${etcd_client[$i]}"
done
etcd_pids=()
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$work/etcd-e$i" \
    --listen-client-urls "http://127.0.0.1:${etcd_client[$i]}" --advertise-client-urls "http://127.0.0.1:${etcd_client[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${etcd_peer[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${etcd_peer[$i]}" \
    --initial-cluster "$etcd_cluster" --initial-cluster-state new --initial-cluster-token compare-etcd \
    >"$work/etcd-e$i.log" 2>&1 &
  pids+=($!); etcd_pids+=($!)
done

# TernKV: 3 `tern server` processes.
members="" tern_endpoints=""
declare -a tern_metrics
for i in 1 2 3; do
  c=$(free_port); r=$(free_port); tern_metrics[$i]=$(free_port)
  members="${members:+$members,}n$i=127.0.0.1:$c/127.0.0.1:$r"
  tern_endpoints="${tern_endpoints:+$tern_endpoints,}127.0.0.1:$c"
done
tern_pids=()
for i in 1 2 3; do
  # shellcheck disable=SC2086
  java $SERVER_JAVA_OPTS -jar "$tern_jar" server --id "n$i" --data-dir "$work/tern-n$i" --members "$members" \
    --metrics "127.0.0.1:${tern_metrics[$i]}" \
    >"$work/tern-n$i.log" 2>&1 &
  pids+=($!); tern_pids+=($!)
done

echo "waiting for etcd ($etcd_endpoints) ..." >&2
for _ in $(seq 1 120); do
  ETCDCTL_API=3 etcdctl --endpoints "$etcd_endpoints" endpoint health >/dev/null 2>&1 && break
  sleep 0.5
done
ETCDCTL_API=3 etcdctl --endpoints "$etcd_endpoints" endpoint health >&2
for p in "${pids[@]}"; do
  kill -0 "$p" 2>/dev/null || { echo "error: a server exited at start; see $out/logs" >&2; exit 1; }
done
echo "TernKV at $tern_endpoints (the driver waits until it accepts writes)" >&2

csv="$out/results.csv"
rss="$out/rss.csv"
rm -f "$csv"
echo "system,round,member,pid,vmrss_kib" >"$rss"
shed="$out/ternkv-shed.csv"
echo "round,member,resource_exhausted_total" >"$shed"
record_shed() { # round: requests each TernKV node refused so far (its metrics, all KV methods)
  local i n
  for i in 1 2 3; do
    n=$(curl -sf "http://127.0.0.1:${tern_metrics[$i]}/metrics" 2>/dev/null \
      | awk '/^tern_grpc_requests_seconds_count\{/ && /code="RESOURCE_EXHAUSTED"/ { s += $NF } END { printf "%d", s }' || echo "?")
    echo "$1,$i,${n:-0}" >>"$shed"
  done
}
record_rss() { # system round pids...
  local system=$1 round=$2 n=1 kb
  shift 2
  for p in "$@"; do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    echo "$system,$round,$n,$p,${kb:-0}" >>"$rss"
    n=$((n + 1))
  done
}
drive() { # target endpoints round extra-args...
  local target=$1 endpoints=$2 round=$3
  shift 3
  # shellcheck disable=SC2086
  if ! java $DRIVER_JAVA_OPTS -cp "$bench_jar" io.ternkv.bench.load.LoadDriver --target "$target" --endpoints "$endpoints" \
    --round "$round" --warmup "$warmup" --duration "$duration" --keys "$keys" --value-size "$value_size" \
    --csv "$csv" "$@" 2>>"$work/driver.log" | tee -a "$out/driver.txt"; then
    echo "error: the $target driver failed in round $round:" >&2
    grep -v '^\s*at ' "$work/driver.log" | tail -5 >&2
    echo "server and driver logs: $out/logs" >&2
    exit 1
  fi
  for p in "${pids[@]}"; do
    kill -0 "$p" 2>/dev/null || { echo "error: server process $p died; see $out/logs" >&2; exit 1; }
  done
}

for round in $(seq 1 "$rounds"); do
  preload=()
  [ "$round" = 1 ] || preload=(--no-preload)
  echo "== round $round of $rounds: TernKV ==" | tee -a "$out/driver.txt"
  drive ternkv "$tern_endpoints" "$round" --inflight "$inflight" --phases "$phases" "${preload[@]}"
  if [ "$overload" != none ]; then
    drive ternkv "$tern_endpoints" "$round" --inflight "$overload" --phases put,get-linearizable --no-preload
  fi
  record_rss ternkv "$round" "${tern_pids[@]}"
  record_shed "$round"
  echo "== round $round of $rounds: etcd ==" | tee -a "$out/driver.txt"
  drive etcd "$etcd_endpoints" "$round" --inflight "$inflight" --phases "$phases" "${preload[@]}"
  record_rss etcd "$round" "${etcd_pids[@]}"
done

java -Djava.awt.headless=true -cp "$bench_jar" io.ternkv.bench.load.CompareReport "$csv" "$out" >/dev/null
{
  echo
  echo "## Requests TernKV refused (RESOURCE_EXHAUSTED, counted by each node since it started)"
  echo
  echo "The client retries these after a pause, so the driver's shed column shows only those still refused"
  echo "when their request timeout ran out."
  echo
  echo "| after round | node 1 | node 2 | node 3 |"
  echo "|--:|--:|--:|--:|"
  awk -F, 'NR > 1 { v[$1] = v[$1] " " $3 " |"; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
    END { for (i = 1; i <= n; i++) print "| " order[i] " |" v[order[i]] }' "$shed"
  echo
  echo "## Server memory after each round (VmRSS, MiB; one process per member)"
  echo
  echo "| system | round | member 1 | member 2 | member 3 |"
  echo "|---|--:|--:|--:|--:|"
  awk -F, 'NR > 1 { k = $1 "|" $2; v[k] = v[k] sprintf(" %.0f |", $5 / 1024); if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
    END { for (i = 1; i <= n; i++) { split(order[i], a, "|"); print "| " a[1] " | " a[2] " |" v[order[i]] } }' "$rss"
  echo
  echo "Setup: $rounds rounds (TernKV, then etcd, alternating); warm-up $warmup and $duration measured per phase;"
  echo "$keys keys of 16 bytes, values of $value_size bytes; in flight $inflight (overload: $overload, TernKV only)."
  echo "Driver JVM: $DRIVER_JAVA_OPTS. TernKV server JVM: $SERVER_JAVA_OPTS. $(etcd --version | head -1). $(nproc) cores."
  echo "TernKV's client sends every request to the leader; jetcd spreads requests over the members (followers forward)."
} >>"$out/results.md"
cat "$out/results.md"
echo >&2
echo "results in $out (results.md, results.csv, summary.csv, ternkv-shed.csv, rss.csv, throughput.png, latency-p99.png, logs/)" >&2
