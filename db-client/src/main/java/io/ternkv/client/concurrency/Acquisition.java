package io.ternkv.client.concurrency;

import io.ternkv.client.Compare;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.RevisionOutOfRangeException;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import io.ternkv.client.TxnResult;
import io.ternkv.client.Watch;
import io.ternkv.client.WatchEvent;
import io.ternkv.client.WatchListener;
import io.ternkv.client.WatchOptions;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One attempt to get to the head of a lock or election queue, shared by {@link Lock} and {@link
 * Election}: create this session's key under the directory, attached to the session's lease, if
 * absent (else adopt it: an earlier attempt whose answer was lost left it); then, until no key
 * created before ours remains, watch the one created just before ours for its deletion and read the
 * queue again.
 *
 * <p>{@link #abandon} stops the attempt at any step and, when asked, removes the key (only the
 * version this attempt created, by its create revision) before the result fails, so a caller that
 * sees the failure knows no key of the attempt is left.
 *
 * <p>Threading: steps run on client threads (call completions, watch listeners) and never block;
 * state is guarded by {@code this}, which is never held while calling into a {@link Watch}.
 */
final class Acquisition {
  /**
   * A successful attempt: this session's key is the oldest in the queue.
   *
   * @param key the key
   * @param createRevision its create revision (the fencing token)
   * @param revision the store revision at which it was seen to be the oldest
   */
  record Head(byte[] key, long createRevision, long revision) {}

  private final Session session;
  private final TernClient client;
  private final KeyRange queue;
  private final byte[] key;
  private final byte[] value;
  private final boolean replaceAdoptedValue;
  private final RuntimeException wouldWait;
  private final CompletableFuture<Head> result = new CompletableFuture<>();

  // Under this.
  private boolean creating = true;
  private long createRevision;
  private Wait wait;
  private boolean succeeded;
  private RuntimeException stopReason;
  private boolean removeKey;

  /**
   * Prepares an attempt; {@link #start()} starts it.
   *
   * @param directory the queue's prefix, ending with '/' (see {@link #directory})
   * @param value what the key holds
   * @param replaceAdoptedValue whether an adopted key gets {@code value} (elections) or is kept as
   *     it is (locks)
   * @param wouldWait null to wait for the head; else the attempt does not wait and is abandoned
   *     with this reason (removing its key) when another key is older
   */
  Acquisition(
      Session session,
      byte[] directory,
      byte[] value,
      boolean replaceAdoptedValue,
      RuntimeException wouldWait) {
    this.session = session;
    this.client = session.client();
    this.queue = KeyRange.prefix(directory);
    this.key = session.keyIn(directory);
    this.value = value.clone();
    this.replaceAdoptedValue = replaceAdoptedValue;
    this.wouldWait = wouldWait;
  }

  /**
   * The queue directory of a lock or election prefix: the prefix with a '/' appended unless it ends
   * with one.
   *
   * @throws IllegalArgumentException when the prefix is empty
   */
  static byte[] directory(byte[] prefix) {
    if (prefix.length == 0) {
      throw new IllegalArgumentException("prefix must not be empty");
    }
    if (prefix[prefix.length - 1] == '/') {
      return prefix.clone();
    }
    byte[] directory = Arrays.copyOf(prefix, prefix.length + 1);
    directory[prefix.length] = '/';
    return directory;
  }

  /**
   * Starts the attempt.
   *
   * @return a future of the head; failing with the abandon reason, with {@link
   *     SessionExpiredException} when the lease is gone, or with the {@link TernException} of a
   *     step (after removing the key)
   */
  CompletableFuture<Head> start() {
    long lease = session.lease().id();
    Txn create =
        Txn.builder()
            .when(Compare.createRevision(key, Compare.Operator.EQUAL, 0))
            .then(TxnOp.put(key, value, lease), TxnOp.range(queue, 0))
            .orElse(TxnOp.get(key), TxnOp.range(queue, 0))
            .build();
    try {
      client.txnAsync(create).whenComplete(this::created);
    } catch (RuntimeException e) {
      created(null, e);
    }
    return result;
  }

  /**
   * Stops the attempt unless it already succeeded (then the caller owns the key and this does
   * nothing). The result fails with {@code reason} once the key is removed, if {@code removeKey};
   * when the removal fails, with an error that says the key is left until the session ends.
   */
  void abandon(RuntimeException reason, boolean removeKey) {
    Wait w;
    boolean now;
    synchronized (this) {
      if (succeeded || stopReason != null) {
        return;
      }
      stopReason = reason;
      this.removeKey = removeKey;
      w = wait;
      wait = null;
      now = !creating; // else the create transaction's completion cleans up
    }
    if (w != null) {
      w.end();
    }
    if (now) {
      cleanUp();
    }
  }

  private void created(TxnResult r, Throwable error) {
    long revision = 0;
    if (error == null) {
      revision =
          r.succeeded()
              ? r.header().revision()
              : r.results().get(0).kv().map(KeyValue::createRevision).orElse(0L);
    }
    boolean stop;
    synchronized (this) {
      creating = false;
      createRevision = revision;
      stop = stopReason != null;
    }
    if (stop) {
      cleanUp();
      return;
    }
    if (error != null) {
      fail(error);
      return;
    }
    if (!r.succeeded() && replaceAdoptedValue) {
      KeyValue adopted = r.results().get(0).kv().orElseThrow();
      if (!Arrays.equals(adopted.value(), value)) {
        Txn replace =
            Txn.builder()
                .when(Compare.createRevision(key, Compare.Operator.EQUAL, revision))
                .then(TxnOp.put(key, value, session.lease().id()))
                .build();
        step(null, () -> client.txnAsync(replace).whenComplete((ok, e) -> step(e, this::rescan)));
        return;
      }
    }
    TxnResult.OpResult page = r.results().get(1);
    step(
        null,
        () ->
            PrefixSnapshot.complete(client, queue, page.kvs(), page.more(), r.header().revision())
                .whenComplete(this::evaluate));
  }

  private void rescan() {
    PrefixSnapshot.read(client, queue).whenComplete(this::evaluate);
  }

  private void evaluate(PrefixSnapshot snapshot, Throwable error) {
    if (error != null) {
      fail(error);
      return;
    }
    long mine;
    synchronized (this) {
      if (stopReason != null) {
        return;
      }
      mine = createRevision;
    }
    Optional<KeyValue> me = snapshot.find(key);
    if (me.isEmpty() || me.get().createRevision() != mine) {
      fail(
          new TernException(
              ErrorCode.FAILED_PRECONDITION,
              "key "
                  + show(key)
                  + " was deleted while waiting (its lease ended, or someone deleted it)",
              null));
      return;
    }
    Optional<KeyValue> before = snapshot.lastCreatedBefore(mine);
    if (before.isEmpty()) {
      synchronized (this) {
        if (stopReason != null) {
          return;
        }
        succeeded = true;
      }
      result.complete(new Head(key, mine, snapshot.revision()));
      return;
    }
    if (wouldWait != null) {
      abandon(wouldWait, true);
      return;
    }
    Wait w = new Wait();
    synchronized (this) {
      if (stopReason != null) {
        return;
      }
      wait = w;
    }
    // From the revision just after the read: a deletion in between is replayed, not missed.
    step(null, () -> w.start(before.get().key(), snapshot.revision() + 1));
  }

  private void predecessorGone(Wait w) {
    synchronized (this) {
      if (stopReason != null || wait != w) {
        return;
      }
      wait = null;
    }
    step(null, this::rescan);
  }

  /** Runs the next step unless {@code error}; a step that throws (client closed) fails. */
  private void step(Throwable error, Runnable next) {
    if (error != null) {
      fail(error);
      return;
    }
    try {
      next.run();
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  private void fail(Throwable error) {
    session
        .explain(error)
        .thenAccept(
            reason ->
                abandon(Blocking.unchecked(reason), !(reason instanceof SessionExpiredException)));
  }

  private void cleanUp() {
    long revision;
    boolean remove;
    RuntimeException reason;
    synchronized (this) {
      revision = createRevision;
      remove = removeKey;
      reason = stopReason;
    }
    if (!remove) {
      result.completeExceptionally(reason);
      return;
    }
    // Only the version this attempt created; when the create's outcome is unknown (revision 0),
    // any version: the key is this session's, and its claim keeps other local users away.
    Txn.Builder delete = Txn.builder().then(TxnOp.delete(key));
    if (revision > 0) {
      delete.when(Compare.createRevision(key, Compare.Operator.EQUAL, revision));
    }
    try {
      client
          .txnAsync(delete.build())
          .whenComplete(
              (r, e) -> {
                if (e == null) {
                  result.completeExceptionally(reason);
                } else {
                  result.completeExceptionally(notRemoved(reason, Blocking.cause(e)));
                }
              });
    } catch (RuntimeException e) {
      result.completeExceptionally(notRemoved(reason, e));
    }
  }

  private TernException notRemoved(RuntimeException reason, Throwable error) {
    TernException e =
        new TernException(
            error instanceof TernException t ? t.code() : ErrorCode.INTERNAL,
            "gave up ("
                + reason.getMessage()
                + ") but could not remove key "
                + show(key)
                + ": "
                + error.getMessage()
                + "; it stays until the session ends",
            error);
    e.addSuppressed(reason);
    return e;
  }

  static String show(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }

  /** Waits for one predecessor's deletion through a watch on that key alone. */
  private final class Wait implements WatchListener {
    private final AtomicBoolean over = new AtomicBoolean();
    private volatile Watch watch;

    void start(byte[] predecessor, long fromRevision) {
      Watch w =
          client.watch(
              WatchOptions.key(predecessor).fromRevision(fromRevision).withoutPuts(), this);
      watch = w;
      if (over.get()) {
        w.close(); // ended before the watch existed
      }
    }

    /** Ends the wait and closes its watch; true for the one caller that ended it. */
    boolean end() {
      if (!over.compareAndSet(false, true)) {
        return false;
      }
      Watch w = watch;
      if (w != null) {
        w.close();
      }
      return true;
    }

    @Override
    public void onEvents(List<WatchEvent> events) {
      // Puts are filtered out: this is the deletion.
      if (end()) {
        predecessorGone(this);
      }
    }

    @Override
    public void onCancelled(TernException reason) {
      if (!end()) {
        return;
      }
      if (reason instanceof RevisionOutOfRangeException) {
        predecessorGone(this); // history compacted: the read tells what happened
      } else {
        fail(reason);
      }
    }
  }
}
