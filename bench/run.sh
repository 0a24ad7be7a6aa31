#!/usr/bin/env bash
# Runs the JMH suite on a 3-node LocalCluster and writes, under bench/results/<UTC timestamp>/:
#   jmh.json (raw JMH), jmh.txt (console), results.md (table), latency.png, throughput.png
#
#   bench/run.sh           standard profile: every level, values of 16/256/4096 bytes (~25 min)
#   bench/run.sh --quick   256-byte values, short iterations (under 3 minutes)
#   bench/run.sh -- ARGS   extra JMH arguments, e.g. -- -p endpoints=127.0.0.1:7001
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

profile=standard
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) profile=quick ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "error: unknown option '$1' (see bench/run.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

jar=bench/target/benchmarks.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path ./bench/results -prune -o -path '*/target' -prune -o \( -path '*/src/*' -o -name pom.xml \) -newer "$jar" -type f -print -quit)" ]; then
  echo "building benchmarks.jar ..." >&2
  ./mvnw -B -q -DskipTests install >&2
fi

case "$profile" in
  quick) jmh=(-p valueSize=256 -p keys=1000 -wi 1 -w 1s -i 1 -r 2s -f 1) ;;
  standard) jmh=(-wi 2 -w 5s -i 3 -r 5s -f 1) ;;
esac

out="bench/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
echo "profile: $profile; results in $out" >&2
java -jar "$jar" 'io\.ternkv\.bench\.(Read|Write)Benchmark' "${jmh[@]}" "${extra[@]}" \
  -rf json -rff "$out/jmh.json" | tee "$out/jmh.txt"
java -Djava.awt.headless=true -cp "$jar" io.ternkv.bench.Report "$out/jmh.json" "$out"
