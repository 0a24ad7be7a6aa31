package io.ternkv.server.raft;

import io.ternkv.proto.raft.v1.Command;
import io.ternkv.server.UnavailableException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Coalesces the leader's writes into fewer log entries. A write that arrives while fewer than
 * {@code maxEntriesInFlight} entries are being replicated goes out at once, as an entry of its
 * own; writes that arrive while that many are in flight wait, and go out together as one batch
 * entry when one of them completes. An idle node therefore adds no delay, and a busy one pays
 * Raft's per-entry costs (append, replication, fsync bookkeeping, apply, reply) once per batch
 * instead of once per write.
 *
 * <p>Retries stay exactly-once: a write carrying a client id is checked against the writes still
 * waiting or in flight here and against {@link RecentWrites} before it is queued, so a retry
 * joins its original or gets the original's outcome. The check is made only while this node is
 * the leader of a term in which it has applied every earlier entry (see {@link Sink#readyTerm}),
 * and a write is sent only in the term it was checked in.
 *
 * <p>Threading: thread-safe. Entries after the first of a busy period are sent from {@code
 * sender}, never from the thread that completed the previous entry (a Ratis thread).
 */
final class WriteBatcher {
  /** Largest number of writes in one batch entry. */
  static final int MAX_WRITES = 512;

  /**
   * Largest encoded size of the writes in one batch entry. A single write may be up to the
   * largest valid transaction (3.5 MiB) and then goes alone; Ratis bounds an entry at 4 MiB.
   */
  static final int MAX_BYTES = 2 * 1024 * 1024;

  /** Where writes go: the Raft node. */
  interface Sink {
    /**
     * The current term when this node is the leader and has applied every entry of earlier terms.
     *
     * @throws RuntimeException (not-leader or unavailable) otherwise
     */
    long readyTerm();

    /** Appends one write as an entry of its own. */
    CompletableFuture<WriteOutcome> single(Write write);

    /** Appends writes as one batch entry; outcomes in the same order. */
    CompletableFuture<List<WriteOutcome>> batch(List<Write> writes);
  }

  /** A write waiting for, or travelling in, an entry. */
  static final class Write {
    final Command command;
    /** 16 bytes, or null for an anonymous write. */
    final byte[] clientId;

    final long sequence;
    final long term;
    final int bytes;
    final CompletableFuture<WriteOutcome> done = new CompletableFuture<>();

    Write(Command command, byte[] clientId, long sequence, long term) {
      this.command = command;
      this.clientId = clientId;
      this.sequence = sequence;
      this.term = term;
      this.bytes = command.getSerializedSize() + 32;
    }
  }

  private final String nodeId;
  private final Sink sink;
  private final RecentWrites recent;
  private final Executor sender;
  private final int maxEntriesInFlight;
  private final ConcurrentHashMap<RecentWrites.Id, CompletableFuture<WriteOutcome>> unfinished =
      new ConcurrentHashMap<>();

  private final Object lock = new Object();
  private final ArrayDeque<Write> queue = new ArrayDeque<>(); // guarded by lock
  private int entriesInFlight; // guarded by lock
  private boolean closed; // guarded by lock

  WriteBatcher(
      String nodeId, Sink sink, RecentWrites recent, Executor sender, int maxEntriesInFlight) {
    if (maxEntriesInFlight < 1) {
      throw new IllegalArgumentException("maxEntriesInFlight must be at least 1");
    }
    this.nodeId = nodeId;
    this.sink = sink;
    this.recent = recent;
    this.sender = sender;
    this.maxEntriesInFlight = maxEntriesInFlight;
  }

  /**
   * Queues a write.
   *
   * @param clientId 16-byte client id, or null for an anonymous write (never deduplicated)
   * @return its outcome; a retry of a write applied here within the retention gets the
   *     original's; fails with the sink's error when this node cannot take writes
   */
  CompletableFuture<WriteOutcome> submit(Command command, byte[] clientId, long sequence) {
    long term;
    try {
      term = sink.readyTerm();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    Write write = new Write(command, clientId, sequence, term);
    if (clientId != null) {
      RecentWrites.Id id = RecentWrites.Id.of(clientId, sequence);
      // Unfinished first, then recent: a write leaves `unfinished` only after it was recorded in
      // `recent` (on apply, before its entry's reply), so one of the two always sees it.
      CompletableFuture<WriteOutcome> earlier = unfinished.putIfAbsent(id, write.done);
      if (earlier != null) {
        return earlier;
      }
      WriteOutcome applied = recent.find(id);
      if (applied != null) {
        unfinished.remove(id, write.done);
        return CompletableFuture.completedFuture(applied);
      }
      write.done.whenComplete((o, e) -> unfinished.remove(id, write.done));
    }
    List<Write> now = null;
    synchronized (lock) {
      if (closed) {
        write.done.completeExceptionally(shuttingDown());
        return write.done;
      }
      queue.addLast(write);
      if (entriesInFlight < maxEntriesInFlight) {
        entriesInFlight++;
        now = drainLocked();
      }
    }
    if (now != null) {
      send(now);
    }
    return write.done;
  }

  /** Fails every queued write; writes already in entries finish as Ratis answers them. */
  void close() {
    List<Write> dropped;
    synchronized (lock) {
      closed = true;
      dropped = new ArrayList<>(queue);
      queue.clear();
    }
    UnavailableException e = shuttingDown();
    dropped.forEach(w -> w.done.completeExceptionally(e));
  }

  /** Writes waiting for an entry (for tests and metrics). */
  int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }

  private List<Write> drainLocked() {
    List<Write> out = new ArrayList<>(Math.min(queue.size(), MAX_WRITES));
    long bytes = 0;
    for (Write w = queue.peekFirst(); w != null; w = queue.peekFirst()) {
      if (!out.isEmpty() && (out.size() >= MAX_WRITES || bytes + w.bytes > MAX_BYTES)) {
        break;
      }
      out.add(queue.removeFirst());
      bytes += w.bytes;
    }
    return out;
  }

  private void send(List<Write> writes) {
    List<Write> current;
    try {
      current = inCurrentTerm(writes);
    } catch (RuntimeException e) {
      entryDone();
      writes.forEach(w -> w.done.completeExceptionally(e));
      return;
    }
    try {
      if (current.isEmpty()) {
        entryDone();
      } else if (current.size() == 1) {
        Write only = current.get(0);
        sink.single(only)
            .whenComplete(
                (o, e) -> {
                  // Free the slot first: the next entry goes out while the answers are sent.
                  entryDone();
                  finish(only, o, e);
                });
      } else {
        sink.batch(current)
            .whenComplete(
                (outcomes, e) -> {
                  entryDone();
                  for (int i = 0; i < current.size(); i++) {
                    finish(current.get(i), e == null ? outcomes.get(i) : null, e);
                  }
                });
      }
    } catch (RuntimeException e) {
      entryDone();
      current.forEach(w -> w.done.completeExceptionally(e));
    }
  }

  /**
   * The writes checked in the current term; the others fail as not-leader: their retry check was
   * made against a term that has ended, when another leader may have applied their originals.
   */
  private List<Write> inCurrentTerm(List<Write> writes) {
    long term = sink.readyTerm();
    List<Write> out = new ArrayList<>(writes.size());
    for (Write w : writes) {
      if (w.term == term) {
        out.add(w);
      } else {
        w.done.completeExceptionally(
            new UnavailableException(
                "node " + nodeId + " changed term while the write waited; retry", null));
      }
    }
    return out;
  }

  private static void finish(Write w, WriteOutcome outcome, Throwable error) {
    if (error != null) {
      w.done.completeExceptionally(error);
    } else {
      w.done.complete(outcome);
    }
  }

  private void entryDone() {
    List<Write> next = null;
    synchronized (lock) {
      entriesInFlight--;
      if (!queue.isEmpty()) {
        entriesInFlight++;
        next = drainLocked();
      }
    }
    if (next != null) {
      List<Write> batch = next;
      try {
        sender.execute(() -> send(batch));
      } catch (RuntimeException e) {
        // The sender is shut down: the node is closing.
        UnavailableException closing = shuttingDown();
        batch.forEach(w -> w.done.completeExceptionally(closing));
        synchronized (lock) {
          entriesInFlight--;
        }
      }
    }
  }

  private UnavailableException shuttingDown() {
    return new UnavailableException("node " + nodeId + " is shutting down", null);
  }
}
