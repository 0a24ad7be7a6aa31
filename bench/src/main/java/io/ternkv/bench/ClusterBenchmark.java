package io.ternkv.bench;

import java.util.concurrent.ThreadLocalRandom;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What every cluster benchmark shares: the cluster (started for the trial or external), the
 * preloaded key space, and the value written. Subclasses add the level they sweep.
 */
@State(Scope.Benchmark)
public abstract class ClusterBenchmark {
  /** Value size in bytes. */
  @Param({"16", "256", "4096"})
  public int valueSize;

  /** Keys preloaded, and the key space requests draw from. */
  @Param("10000")
  public int keys;

  /** Empty: start a 3-node LocalCluster for the trial; else comma-separated client endpoints. */
  @Param("")
  public String endpoints;

  /** The cluster under test; set for the trial. */
  protected BenchCluster cluster;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    cluster = new BenchCluster(endpoints, keys, valueSize);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cluster.close();
  }

  /** A uniformly random preloaded key. */
  protected byte[] randomKey() {
    return cluster.keys[ThreadLocalRandom.current().nextInt(cluster.keys.length)];
  }
}
