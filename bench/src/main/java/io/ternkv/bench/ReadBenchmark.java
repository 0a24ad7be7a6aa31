package io.ternkv.bench;

import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What each read consistency level costs: a get of a random preloaded key on a 3-node cluster
 * with on-disk data, one request at a time for latency, eight client threads for throughput.
 * Requests go to the leader (the client's routing), so the levels differ only in what the node
 * does before answering.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar ReadBenchmark} (or {@code bench/run.sh});
 * against a running cluster add {@code -p endpoints=127.0.0.1:7001,127.0.0.1:7002}.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Xms1g",
      "-Xmx1g",
      "-XX:+UseParallelGC",
      "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"
    })
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class ReadBenchmark extends ClusterBenchmark {
  /** Read consistency level under test. */
  @Param({"LINEARIZABLE", "LEASE", "SESSION", "STALE", "LOG"})
  public ReadConsistency level;

  /** Latency of one get at a time. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public Optional<KeyValue> latency() {
    return cluster.client.get(randomKey(), level);
  }

  /** Gets per second with eight client threads. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Threads(8)
  public Optional<KeyValue> throughput() {
    return cluster.client.get(randomKey(), level);
  }
}
