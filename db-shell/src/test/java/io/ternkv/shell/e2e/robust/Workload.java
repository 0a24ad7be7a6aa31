package io.ternkv.shell.e2e.robust;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernException;
import io.ternkv.server.check.Op;
import io.ternkv.server.check.Op.Kind;
import io.ternkv.server.check.Op.Level;
import io.ternkv.server.check.Op.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Concurrent clients, each on its own thread and connection, doing put, get (LINEARIZABLE and
 * LEASE; optionally SESSION and STALE too), delete and compare-and-set on a few keys, and recording every operation with its invoke
 * and complete times and its outcome:
 *
 * <ul>
 *   <li>OK: answered;
 *   <li>FAILED: refused in a way that says it was not applied (INVALID_ARGUMENT, FAILED_PRECONDITION,
 *       checked before the log or deterministically on apply);
 *   <li>UNKNOWN: anything else (timeout, no leader, connection lost): a write may or may not have
 *       taken effect, at any time after it was invoked; the client's own retries keep the write id,
 *       so it takes effect at most once.
 * </ul>
 *
 * Values are unique per write ("p3-17"), so a read names the write it saw. Each client sends its
 * next operation only after the previous one ended.
 */
final class Workload {
  private final List<String> keys;
  private final int clients;
  private final long seed;
  private final IntFunction<KvOps> connect;
  private final ConcurrentLinkedQueue<Op> history = new ConcurrentLinkedQueue<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final List<Thread> threads = new ArrayList<>();
  private final List<Throwable> crashes = new ArrayList<>();
  private volatile boolean stop;
  private Duration maxStaleness;

  /**
   * @param keys the keys operated on (start absent)
   * @param clients concurrent clients
   * @param seed for the operation mix
   * @param connect opens client {@code p}'s connection
   */
  Workload(List<String> keys, int clients, long seed, IntFunction<KvOps> connect) {
    this.keys = List.copyOf(keys);
    this.clients = clients;
    this.seed = seed;
    this.connect = connect;
  }

  /**
   * Makes half the reads SESSION and STALE ones (STALE with {@code bound}), recorded with their
   * level for {@link io.ternkv.server.check.SessionChecker} and {@link
   * io.ternkv.server.check.StaleReadChecker}. Before {@link #start}.
   */
  Workload withWeakReads(Duration bound) {
    this.maxStaleness = bound;
    return this;
  }

  void start() {
    for (int p = 0; p < clients; p++) {
      int process = p;
      Thread t = new Thread(() -> run(process), "workload-" + p);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** Stops the clients after their current operation and returns the history. */
  List<Op> stop() throws InterruptedException {
    stop = true;
    for (Thread t : threads) {
      t.join(120_000);
      if (t.isAlive()) {
        throw new AssertionError(t.getName() + " did not stop");
      }
    }
    synchronized (crashes) {
      if (!crashes.isEmpty()) {
        AssertionError e = new AssertionError("a workload client crashed");
        crashes.forEach(e::addSuppressed);
        throw e;
      }
    }
    List<Op> ops = new ArrayList<>(history);
    ops.sort((a, b) -> Integer.compare(a.id(), b.id()));
    return ops;
  }

  /** Whether at least {@code ok} operations, {@code okReads} of them reads, were answered so far. */
  boolean answered(int ok, int okReads) {
    int all = 0;
    int reads = 0;
    for (Op o : history) {
      if (o.outcome() == Outcome.OK) {
        all++;
        if (o.kind() == Kind.GET) {
          reads++;
        }
      }
    }
    return all >= ok && reads >= okReads;
  }

  /** Stops the clients without collecting (after a failure elsewhere). */
  void stopQuietly() {
    stop = true;
  }

  private void run(int process) {
    Random random = new Random(seed * 31 + process);
    Map<String, String> lastSeen = new HashMap<>();
    int n = 0;
    try (KvOps kv = connect.apply(process)) {
      while (!stop) {
        String key = keys.get(random.nextInt(keys.size()));
        int dice = random.nextInt(100);
        int id = ids.getAndIncrement();
        String value = "p" + process + "-" + n++;
        long invoke = System.nanoTime();
        if (dice < 30) {
          record(id, process, Kind.PUT, key, value, null, invoke, () -> {
            long revision = kv.put(key, value);
            lastSeen.put(key, value);
            return revision;
          });
        } else if (dice < 40) {
          record(id, process, Kind.DELETE, key, null, null, invoke, () -> {
            long revision = kv.delete(key);
            lastSeen.remove(key);
            return revision;
          });
        } else if (dice < 55) {
          String expected = lastSeen.get(key);
          try {
            KvOps.Cas cas = kv.compareAndSet(key, expected, value);
            history.add(new Op(id, process, Kind.CAS, key, value, expected, null, cas.applied(), Outcome.OK,
                invoke, System.nanoTime(), Level.STRONG, 0, cas.revision()));
            if (cas.applied()) {
              lastSeen.put(key, value);
            }
          } catch (TernException e) {
            history.add(new Op(id, process, Kind.CAS, key, value, expected, null, false,
                outcome(e), invoke, outcome(e) == Outcome.UNKNOWN ? Long.MAX_VALUE : System.nanoTime()));
          }
        } else {
          ReadConsistency level = random.nextBoolean() ? ReadConsistency.LINEARIZABLE : ReadConsistency.LEASE;
          if (maxStaleness != null && random.nextBoolean()) {
            level = random.nextBoolean() ? ReadConsistency.SESSION : ReadConsistency.STALE;
          }
          Level checked = switch (level) {
            case SESSION -> Level.SESSION;
            case STALE -> Level.STALE;
            default -> Level.STRONG;
          };
          Duration bound = level == ReadConsistency.STALE ? maxStaleness : Duration.ZERO;
          try {
            Optional<KvOps.Versioned> seen = kv.read(key, level, bound);
            history.add(new Op(id, process, Kind.GET, key, null, null,
                seen.map(KvOps.Versioned::value).orElse(null), false, Outcome.OK, invoke, System.nanoTime(),
                checked, bound.toNanos(), seen.map(KvOps.Versioned::modRevision).orElse(0L)));
            if (checked == Level.STRONG) {
              seen.ifPresentOrElse(v -> lastSeen.put(key, v.value()), () -> lastSeen.remove(key));
            }
          } catch (TernException e) {
            history.add(new Op(id, process, Kind.GET, key, null, null, null, false, Outcome.UNKNOWN,
                invoke, Long.MAX_VALUE, checked, bound.toNanos(), 0));
          }
        }
      }
    } catch (RuntimeException | Error e) {
      synchronized (crashes) {
        crashes.add(e);
      }
    }
  }

  private interface Call {
    /** Returns the store revision after the write (0: not known). */
    long call();
  }

  private void record(int id, int process, Kind kind, String key, String value, String expected,
      long invoke, Call call) {
    try {
      long revision = call.call();
      history.add(new Op(id, process, kind, key, value, expected, null, false, Outcome.OK, invoke,
          System.nanoTime(), Level.STRONG, 0, revision));
    } catch (TernException e) {
      Outcome o = outcome(e);
      history.add(new Op(id, process, kind, key, value, expected, null, false, o, invoke,
          o == Outcome.UNKNOWN ? Long.MAX_VALUE : System.nanoTime()));
    }
  }

  /** Only refusals that cannot have reached the log, or were refused on apply, are FAILED. */
  static Outcome outcome(TernException e) {
    return e.code() == ErrorCode.INVALID_ARGUMENT || e.code() == ErrorCode.FAILED_PRECONDITION
        ? Outcome.FAILED
        : Outcome.UNKNOWN;
  }
}
