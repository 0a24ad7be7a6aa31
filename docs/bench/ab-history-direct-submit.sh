#!/usr/bin/env bash
# A/B: base (before this session) vs head, put MAJORITY and LINEARIZABLE get latency, 256 B values.
set -u
for round in 1 2 3; do
  for side in base head; do
    jar=/work/wt-base/bench/target/benchmarks.jar
    [ $side = head ] && jar=/work/main/bench/target/benchmarks.jar
    java -jar $jar 'io\.ternkv\.bench\.WriteBenchmark\.latency' -p level=MAJORITY -p valueSize=256 -p keys=1000 -wi 1 -w 3s -i 2 -r 3s -f 1 -rf json -rff /tmp/ab/$side-write-$round.json > /tmp/ab/$side-write-$round.txt 2>&1
    java -jar $jar 'io\.ternkv\.bench\.ReadBenchmark\.latency' -p level=LINEARIZABLE -p valueSize=256 -p keys=1000 -wi 1 -w 3s -i 2 -r 3s -f 1 -rf json -rff /tmp/ab/$side-read-$round.json > /tmp/ab/$side-read-$round.txt 2>&1
  done
done
echo finished
