package io.ternkv.server.raft;

import java.lang.reflect.Field;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.util.CodeInjectionForTesting;

/**
 * Network partitions between nodes of this JVM, for in-process fault tests: Raft messages
 * (append entries, votes, snapshots) between a node inside the isolated set and one outside it
 * are refused by the receiver, as if the link were cut, and so are the nodes' term questions
 * ({@link #isCut}). Uses Ratis's test injection points, so it
 * affects every Ratis server in the JVM; node ids must be unique among them.
 *
 * <p>Threading: thread-safe.
 */
public final class Partitions {
  private static final Set<String> ISOLATED = ConcurrentHashMap.newKeySet();
  private static final Set<String> NO_ENTRIES = ConcurrentHashMap.newKeySet();
  private static volatile boolean installed;

  private Partitions() {}

  /** Cuts every Raft link between {@code nodeId} and nodes not isolated with it. */
  public static void isolate(String nodeId) {
    install();
    ISOLATED.add(nodeId);
  }

  /**
   * Refuses append requests that carry log entries to {@code nodeId}, while the leader's
   * heartbeats still reach it: a link that passes small messages but not large ones.
   */
  public static void cutEntriesTo(String nodeId) {
    install();
    NO_ENTRIES.add(nodeId);
  }

  /**
   * Whether messages from {@code from} to {@code to} are cut now; the nodes' own calls over their
   * client ports (such as {@code Cluster.CurrentTerm}) honour it too, as a real partition would
   * cut them.
   */
  public static boolean isCut(String from, String to) {
    return !ISOLATED.isEmpty() && ISOLATED.contains(from) != ISOLATED.contains(to);
  }

  /** Restores every link. */
  public static void healAll() {
    ISOLATED.clear();
    NO_ENTRIES.clear();
  }

  private static synchronized void install() {
    if (installed) {
      return;
    }
    for (String point : new String[] {"REQUEST_VOTE", "APPEND_ENTRIES", "INSTALL_SNAPSHOT"}) {
      CodeInjectionForTesting.put(
          injectionPoint(point),
          (local, remote, args) -> {
            if (local != null
                && remote != null
                && ISOLATED.contains(local.toString()) != ISOLATED.contains(remote.toString())) {
              throw new IllegalStateException(
                  "partitioned: " + remote + " cannot reach " + local + " (test partition)");
            }
            if (local != null
                && NO_ENTRIES.contains(local.toString())
                && args.length > 1
                && args[1] instanceof AppendEntriesRequestProto append
                && append.getEntriesCount() > 0) {
              throw new IllegalStateException(
                  "partitioned: entries from " + remote + " cannot reach " + local + " (test partition)");
            }
            return false;
          });
    }
    installed = true;
  }

  /** Ratis keeps the injection point names in package-private constants: read them. */
  private static String injectionPoint(String constant) {
    try {
      Class<?> impl = Class.forName("org.apache.ratis.server.impl.RaftServerImpl");
      Field f = impl.getDeclaredField(constant);
      f.setAccessible(true);
      return (String) f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this Ratis version has no injection point " + constant, e);
    }
  }
}
