package io.ternkv.bench;

import io.ternkv.client.WriteConsistency;
import io.ternkv.client.WriteResult;
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
 * What each write acknowledgement level costs: a put of a random preloaded key on a 3-node
 * cluster with on-disk data (every entry fsynced on a majority), one at a time for latency, eight
 * client threads for throughput.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar WriteBenchmark} (or {@code bench/run.sh}).
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
public class WriteBenchmark extends ClusterBenchmark {
  /** Write acknowledgement level under test. */
  @Param({"MAJORITY", "ALL"})
  public WriteConsistency level;

  /** Latency of one put at a time. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public WriteResult latency() {
    return cluster.client.put(randomKey(), cluster.value, level);
  }

  /** Puts per second with eight client threads. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Threads(8)
  public WriteResult throughput() {
    return cluster.client.put(randomKey(), cluster.value, level);
  }
}
