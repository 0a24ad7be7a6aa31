#!/usr/bin/env bash
# TernKV at scale: 3 `tern server` processes on 127.0.0.1 (data on disk, default settings), loaded
# by the closed-loop driver. For each key count: preload, put and linearizable get throughput at 64
# in flight, each server's resident memory, store size; then the time a follower takes to restart
# and catch up, and the time a follower with an empty data directory takes to install a snapshot
# and catch up. Then throughput as the value size grows. Writes RESULTS_DIR/results.md and the raw
# driver output and server logs.
#
#   bench/scale.sh [options] [RESULTS_DIR]       (default bench/target/scale-<UTC time>)
#     --keys LIST         key counts, one cluster each (default 1000000)
#     --value-size BYTES  value size for the key-count runs (default 256)
#     --sizes LIST        value sizes for the size sweep, e.g. 16,256,4096,65536,1048576
#                         (default that list; "none" to skip)
#     --duration DUR      measured time per phase (default 20s)
#     --warmup DUR        untimed load before each phase (default 20s)
#     --no-build          use the jars already built
#   A 1 GiB data set: --keys 4000000 --value-size 256 (values and keys, before history).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

key_counts=1000000 value_size=256 sizes=16,256,4096,65536,1048576 duration=20s warmup=20s build=1 out=""
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) key_counts="$2"; shift ;;
    --value-size) value_size="$2"; shift ;;
    --sizes) sizes="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "error: unknown option '$1' (see bench/scale.sh --help)" >&2; exit 2 ;;
    *) [ -z "$out" ] || { echo "error: one results directory, not '$out' and '$1'" >&2; exit 2; }; out="$1" ;;
  esac
  shift
done
out="${out:-bench/target/scale-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out/logs"
out="$(cd "$out" && pwd)"

DRIVER_JAVA_OPTS="${DRIVER_JAVA_OPTS:--Xms1g -Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=2}"
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:--Xms512m -Xmx2g -Djava.util.concurrent.ForkJoinPool.common.parallelism=2}"

if [ "$build" = 1 ]; then
  echo "building tern.jar and benchmarks.jar ..." >&2
  ./mvnw -B -q -pl proto,db-client,db-server,db-shell,bench package -DskipTests >&2
fi
tern_jar="$root/db-shell/target/tern.jar"
bench_jar="$root/bench/target/benchmarks.jar"
for j in "$tern_jar" "$bench_jar"; do
  [ -f "$j" ] || { echo "error: $j is missing (run without --no-build)" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/tern-scale.XXXXXX")"
declare -a pid client raft metrics
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  stop_all
  cp "$work"/*.log "$out/logs/" 2>/dev/null || true
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT
trap 'echo "interrupted: stopping everything started" >&2; exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
metric() { # node name: a gauge from the node's /metrics, empty when it does not answer
  curl -sf "http://127.0.0.1:${metrics[$1]}/metrics" 2>/dev/null | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { print $2; exit }'
}
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/${pid[$1]}/status" 2>/dev/null || echo "?"; }
start_node() { # i dir
  # shellcheck disable=SC2086
  java $SERVER_JAVA_OPTS -jar "$tern_jar" server --id "n$1" --data-dir "$2/n$1" --members "$members" \
    --metrics "127.0.0.1:${metrics[$1]}" >>"$work/$(basename "$2")-n$1.log" 2>&1 &
  pid[$1]=$!
}
stop_node() { # i: SIGTERM, then wait for the exit
  [ -n "${pid[$1]:-}" ] || return 0
  kill "${pid[$1]}" 2>/dev/null || true
  wait "${pid[$1]}" 2>/dev/null || true
  pid[$1]=""
}
stop_all() { for i in 1 2 3; do stop_node "$i"; done; }
leader() { for i in 1 2 3; do [ "$(metric "$i" tern_raft_is_leader)" = "1.0" ] && { echo "$i"; return; }; done; echo ""; }
await_caught_up() { # i: until node i applied the leader's commit index as read now; prints seconds
  local i=$1 started l target applied
  started=$(now)
  for _ in $(seq 1 36000); do
    l=$(leader)
    if [ -n "$l" ] && [ "$l" != "$i" ]; then
      target=$(metric "$l" tern_raft_commit_index)
      applied=$(metric "$i" tern_raft_applied_index)
      if [ -n "$target" ] && [ -n "$applied" ] && awk -v a="$applied" -v t="$target" 'BEGIN { exit !(a >= t) }'; then
        awk -v s="$started" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'
        return
      fi
    fi
    sleep 0.1
  done
  echo "timeout"
}
drive() { # endpoints args...: the driver, its lines on stdout and in driver.txt
  local endpoints=$1
  shift
  # shellcheck disable=SC2086
  java $DRIVER_JAVA_OPTS -cp "$bench_jar" io.ternkv.bench.load.LoadDriver --target ternkv --endpoints "$endpoints" \
    --warmup "$warmup" --duration "$duration" "$@" 2>>"$work/driver.log" | tee -a "$out/driver.txt"
}
field() { sed -n "s/.*$1=[[:space:]]*\([0-9.]*\).*/\1/p" | head -1; }

new_cluster() { # dir
  members="" endpoints=""
  for i in 1 2 3; do
    client[$i]=$(free_port); raft[$i]=$(free_port); metrics[$i]=$(free_port)
    members="${members:+$members,}n$i=127.0.0.1:${client[$i]}/127.0.0.1:${raft[$i]}"
    endpoints="${endpoints:+$endpoints,}127.0.0.1:${client[$i]}"
  done
  for i in 1 2 3; do start_node "$i" "$1"; done
}

{
  echo "# TernKV at scale ($(date -u +%Y-%m-%d))"
  echo
  echo "3 \`tern server\` processes and the driver on one machine ($(nproc) cores), data on disk."
  echo "Server JVM: $SERVER_JAVA_OPTS. Driver JVM: $DRIVER_JAVA_OPTS. Warm-up $warmup, $duration per phase, 64 in flight."
  echo
  echo "| keys | value bytes | preload (s) | put ops/s | put p99 (ms) | get ops/s | get p99 (ms) | server RSS (MiB) | store file (MiB) | follower restart to caught up (s) | snapshot install to caught up (s) |"
  echo "|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|"
} >"$out/results.md"

IFS=, read -r -a counts <<<"$key_counts"
for keys in "${counts[@]}"; do
  dir="$work/keys-$keys"
  mkdir -p "$dir"
  echo "== $keys keys of $value_size bytes ==" | tee -a "$out/driver.txt"
  new_cluster "$dir"
  t0=$(now)
  lines=$(drive "$endpoints" --keys "$keys" --value-size "$value_size" --inflight 64 --phases put,get-linearizable)
  preload=$(grep "preloaded" <<<"$lines" | sed -n 's/.* in \([0-9.]*\) s$/\1/p')
  put=$(grep " put " <<<"$lines" | head -1)
  get=$(grep " get-linearizable " <<<"$lines" | head -1)
  rss="$(rss_mib 1) / $(rss_mib 2) / $(rss_mib 3)"
  l=$(leader)
  store=$(awk -v b="$(metric "${l:-1}" tern_store_bytes)" 'BEGIN { printf "%.0f", b / 1048576 }')

  # A follower stopped cleanly and started again: replays its log after the newest snapshot.
  f=$(( (${l:-1} % 3) + 1 ))
  stop_node "$f"
  start_node "$f" "$dir"
  restart=$(await_caught_up "$f")

  # A follower that lost its data: the leader sends it the newest snapshot (the log below it is
  # purged), then the entries after it.
  stop_node "$f"
  rm -rf "${dir:?}/n$f"
  start_node "$f" "$dir"
  install=$(await_caught_up "$f")

  echo "| $keys | $value_size | ${preload:-?} | $(field 'ops\/s' <<<"$put") | $(field p99 <<<"$put") | $(field 'ops\/s' <<<"$get") | $(field p99 <<<"$get") | $rss | $store | $restart | $install |" >>"$out/results.md"
  stop_all
  rm -rf "$dir"
done

if [ "$sizes" != none ]; then
  {
    echo
    echo "## Value size (put and linearizable get, 16 in flight)"
    echo
    echo "| value bytes | keys | put ops/s | put MiB/s | put p50 (ms) | put p99 (ms) | get ops/s | get p50 (ms) |"
    echo "|--:|--:|--:|--:|--:|--:|--:|--:|"
  } >>"$out/results.md"
  dir="$work/sizes"
  mkdir -p "$dir"
  new_cluster "$dir"
  IFS=, read -r -a vs <<<"$sizes"
  for size in "${vs[@]}"; do
    keys=$(( size >= 65536 ? 200 : 10000 ))
    echo "== values of $size bytes ==" | tee -a "$out/driver.txt"
    lines=$(drive "$endpoints" --keys "$keys" --value-size "$size" --inflight 16 --phases put,get-linearizable)
    put=$(grep " put " <<<"$lines" | head -1)
    get=$(grep " get-linearizable " <<<"$lines" | head -1)
    ops=$(field 'ops\/s' <<<"$put")
    mib=$(awk -v o="${ops:-0}" -v s="$size" 'BEGIN { printf "%.1f", o * s / 1048576 }')
    echo "| $size | $keys | $ops | $mib | $(field p50 <<<"$put") | $(field p99 <<<"$put") | $(field 'ops\/s' <<<"$get") | $(field p50 <<<"$get") |" >>"$out/results.md"
  done
  stop_all
fi

cat "$out/results.md"
echo >&2
echo "results in $out (results.md, driver.txt, logs/)" >&2
