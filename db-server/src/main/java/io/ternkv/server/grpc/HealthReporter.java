package io.ternkv.server.grpc;

import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.LeaseGrpc;
import io.ternkv.server.raft.NodeStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this node's readiness through the standard gRPC health service ({@code
 * grpc.health.v1.Health}), for load balancers, orchestrators and {@code grpc-health-probe}.
 *
 * <p>The node is {@code SERVING} when it knows a leader (itself included) and has applied every
 * entry up to the commit index it knew at the previous check, {@link #INTERVAL} earlier; else
 * {@code NOT_SERVING}. Comparing with the previous check's commit index, not the current one,
 * keeps a busy but healthy node from flapping: under writes the commit index is almost always a
 * few entries ahead of the applied index for an instant. A node that stays behind (a slow disk, a
 * held apply thread) or that lost its leader turns {@code NOT_SERVING} within two intervals.
 *
 * <p>The status is published for the whole server (the empty service name) and for {@code
 * ternkv.v1.KV} and {@code ternkv.v1.Lease}; {@code ternkv.v1.Cluster} answers from local state
 * and is {@code SERVING} while the process runs. After {@link #close} every name is {@code
 * NOT_SERVING} for good, so a node draining before shutdown is taken out of rotation.
 *
 * <p>Threading: the status is computed on one daemon thread of its own; {@link #close} may be
 * called from any thread, more than once.
 */
public final class HealthReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HealthReporter.class);

  /** How often the status is recomputed. */
  public static final Duration INTERVAL = Duration.ofMillis(200);

  /** Services whose status follows the node's; the empty name stands for the whole server. */
  static final List<String> FOLLOWING =
      List.of(
          HealthStatusManager.SERVICE_NAME_ALL_SERVICES,
          KVGrpc.SERVICE_NAME,
          LeaseGrpc.SERVICE_NAME,
          io.ternkv.proto.v1.WatchGrpc.SERVICE_NAME);

  private final String nodeId;
  private final Supplier<NodeStatus> status;
  private final HealthStatusManager manager = new HealthStatusManager();
  private final ScheduledExecutorService timer;

  // Confined to the timer thread.
  private long previousCommit = Long.MAX_VALUE;
  private String previousReason = "starting";

  /**
   * Creates the reporter and starts checking; every name starts {@code NOT_SERVING}.
   *
   * @param nodeId for log lines
   * @param status this node's current view of the group (called on the reporter's thread; may
   *     throw, which counts as {@code NOT_SERVING})
   */
  public HealthReporter(String nodeId, Supplier<NodeStatus> status) {
    this.nodeId = nodeId;
    this.status = status;
    for (String name : FOLLOWING) {
      manager.setStatus(name, ServingStatus.NOT_SERVING);
    }
    manager.setStatus(ClusterGrpc.SERVICE_NAME, ServingStatus.SERVING);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, nodeId + "-health");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(this::check, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The {@code grpc.health.v1.Health} service to add to the client server. */
  public BindableService service() {
    return manager.getHealthService();
  }

  /**
   * Why a node with this status is not serving, or null when it is.
   *
   * @param now the node's status at this check
   * @param previousCommit the commit index seen at the previous check ({@link Long#MAX_VALUE} on
   *     the first check, which then compares with {@code now}'s commit index)
   */
  static String notServingReason(NodeStatus now, long previousCommit) {
    if (now.leaderId() == null) {
      return "no leader known";
    }
    long mustHaveApplied = Math.min(previousCommit, now.commitIndex());
    if (now.appliedIndex() < mustHaveApplied) {
      return "applied index "
          + now.appliedIndex()
          + " is behind commit index "
          + mustHaveApplied;
    }
    return null;
  }

  private void check() {
    String reason;
    try {
      NodeStatus now = status.get();
      reason = notServingReason(now, previousCommit);
      previousCommit = now.commitIndex();
    } catch (RuntimeException e) {
      reason = "status unavailable: " + e.getMessage();
      previousCommit = Long.MAX_VALUE;
    }
    ServingStatus serving = reason == null ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    for (String name : FOLLOWING) {
      manager.setStatus(name, serving);
    }
    // Log changes of kind only: a lagging node's indexes change at every check.
    if (!kind(reason).equals(kind(previousReason))) {
      if (reason == null) {
        LOG.info("{}: health SERVING", nodeId);
      } else {
        LOG.info("{}: health NOT_SERVING ({})", nodeId, reason);
      }
    }
    previousReason = reason;
  }

  private static String kind(String reason) {
    if (reason == null) {
      return "serving";
    }
    return reason.startsWith("applied index") ? "lagging" : reason;
  }

  /** Marks every service {@code NOT_SERVING} for good and stops checking. */
  @Override
  public void close() {
    manager.enterTerminalState();
    timer.shutdownNow();
  }
}
