package io.ternkv.client.concurrency;

import io.ternkv.client.Compare;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Leader election among every process that uses the same prefix (etcd's {@code
 * concurrency.Election}): each candidate {@link Session} puts one key {@code prefix/<lease id in
 * hex>} holding its value, and the candidate whose key was created first leads. The leader's key
 * value is the election's public value: {@link #proclaim} changes it, {@link #leader()} reads it,
 * {@link #observe} follows it.
 *
 * <pre>{@code
 * Election election = new Election(session, "elections/scheduler");
 * election.campaign(myAddress);                 // blocks until this session leads
 * session.ended().thenRun(this::stopLeading);   // leadership ends with the session
 * ...
 * election.resign();
 * }</pre>
 *
 * <p>Waiting candidates queue in the order they campaigned, each watching only the key created just
 * before its own, so a resignation or the death of the leader (its session's key goes when the
 * session is closed, or a TTL after the last keep-alive) promotes exactly the next candidate. One
 * campaign per election object and per session and prefix, as for {@link Lock}: a second one while
 * campaigning or leading fails with {@link IllegalStateException}.
 *
 * <p>{@link #isLeader()} is this process's belief; a leader cut off for longer than its TTL may
 * have been replaced before it knows. {@link #leaderCompare()} and {@link #fencingToken()} let the
 * leader's writes check that it still leads.
 *
 * <p>Errors: every method may fail with the client's {@link TernException}s; a campaign that fails
 * removes its key first. A session that expires fails a waiting campaign with {@link
 * SessionExpiredException}, a closed one with a {@link TernException} of code {@link
 * ErrorCode#CANCELLED}; an operation that needs leadership without it fails with {@link
 * NotElectedException}.
 *
 * <p>Threading: thread-safe. Asynchronous results complete on client threads; do not block in their
 * callbacks. Blocking methods, when interrupted, give up and throw a {@link TernException} of code
 * {@link ErrorCode#CANCELLED} with the interrupt flag kept.
 */
public final class Election {
  private enum Phase {
    IDLE,
    CAMPAIGNING,
    LEADER
  }

  private final Session session;
  private final TernClient client;
  private final byte[] directory;
  private final byte[] key;
  private final Session.Claimant claimant = this::sessionEnded;

  // Under this.
  private Phase phase = Phase.IDLE;
  private Acquisition attempt;
  private CompletableFuture<Void> attemptSettled;
  private Acquisition.Head holder;

  /**
   * An election on {@code prefix} with {@code session} as the candidate; nothing is sent until it
   * campaigns.
   *
   * @param prefix the election's name; keys go under it with a '/' appended unless it ends with one
   * @throws IllegalArgumentException when the prefix is empty
   */
  public Election(Session session, byte[] prefix) {
    this.session = Objects.requireNonNull(session, "session");
    this.client = session.client();
    this.directory = Acquisition.directory(Objects.requireNonNull(prefix, "prefix"));
    this.key = session.keyIn(directory);
  }

  /** An election on the UTF-8 bytes of {@code prefix}; see {@link #Election(Session, byte[])}. */
  public Election(Session session, String prefix) {
    this(session, Objects.requireNonNull(prefix, "prefix").getBytes(StandardCharsets.UTF_8));
  }

  /** The candidate's session. */
  public Session session() {
    return session;
  }

  /** This candidate's key under the prefix (a copy). */
  public byte[] key() {
    return key.clone();
  }

  /**
   * Becomes a candidate with {@code value} and blocks until this session leads, however long that
   * takes.
   *
   * @throws SessionExpiredException when the session expires while waiting
   * @throws IllegalStateException when this election is already campaigning or leading, another
   *     election or lock of the session uses the same prefix, or the session or client is closed
   * @throws TernException for a failed call, or code {@link ErrorCode#CANCELLED} when {@link
   *     #resign()} withdrew the campaign (the candidate's key is removed first)
   */
  public void campaign(byte[] value) {
    Blocking.await(campaignAsync(value));
  }

  /**
   * Asynchronous {@link #campaign(byte[])}. Cancelling the future withdraws the candidacy and
   * removes its key (or resigns, when it won meanwhile).
   *
   * @return a future completing once this session leads; failing as {@link #campaign(byte[])}
   *     throws, except for misuse, which throws {@link IllegalStateException} at once
   */
  public CompletableFuture<Void> campaignAsync(byte[] value) {
    Objects.requireNonNull(value, "value");
    Acquisition acq;
    CompletableFuture<Void> out = new CompletableFuture<>();
    CompletableFuture<Void> settled = new CompletableFuture<>();
    synchronized (this) {
      if (phase != Phase.IDLE) {
        throw new IllegalStateException(
            "election "
                + this
                + " is already "
                + (phase == Phase.LEADER ? "led" : "campaigned for")
                + " by this candidate");
      }
      try {
        session.claim(key, claimant);
      } catch (SessionExpiredException e) {
        return CompletableFuture.failedFuture(e);
      }
      acq = new Acquisition(session, directory, value, true, null);
      phase = Phase.CAMPAIGNING;
      attempt = acq;
      attemptSettled = settled;
      holder = null;
    }
    acq.start()
        .whenComplete(
            (head, error) -> {
              settle(acq, head, error, out);
              settled.complete(null);
            });
    out.whenComplete(
        (v, e) -> {
          if (out.isCancelled()) {
            acq.abandon(new TernException(ErrorCode.CANCELLED, "campaign cancelled", null), true);
          }
        });
    return out;
  }

  private void settle(
      Acquisition acq, Acquisition.Head head, Throwable error, CompletableFuture<Void> out) {
    TernException ended = null;
    synchronized (this) {
      if (attempt != acq) {
        return;
      }
      attempt = null;
      attemptSettled = null;
      if (error == null) {
        ended = session.endReason(); // ended as the campaign won: too late to abandon it
        phase = ended == null ? Phase.LEADER : Phase.IDLE;
        holder = ended == null ? head : null;
      } else {
        phase = Phase.IDLE;
      }
      if (phase == Phase.IDLE) {
        session.release(key, claimant);
      }
    }
    if (ended != null) {
      out.completeExceptionally(ended);
    } else if (error != null) {
      out.completeExceptionally(Blocking.cause(error));
    } else if (!out.complete(null)) {
      resignAsync(); // cancelled as it won: step down at once
    }
  }

  /**
   * Sets the election's value, only while this candidate still leads (the transaction compares its
   * key's create revision).
   *
   * @throws NotElectedException when this candidate does not lead: it never won, resigned, or its
   *     key is gone (then it no longer counts as leader)
   * @throws TernException for a failed call
   */
  public void proclaim(byte[] value) {
    Blocking.await(proclaimAsync(value));
  }

  /**
   * Asynchronous {@link #proclaim(byte[])}.
   *
   * @return a future completing once the value is stored, failing as {@link #proclaim(byte[])}
   *     throws
   */
  public CompletableFuture<Void> proclaimAsync(byte[] value) {
    Objects.requireNonNull(value, "value");
    Acquisition.Head held;
    synchronized (this) {
      if (phase != Phase.LEADER) {
        return CompletableFuture.failedFuture(
            new NotElectedException("not the leader of election " + Acquisition.show(directory)));
      }
      held = holder;
    }
    Txn put =
        Txn.builder()
            .when(Compare.createRevision(key, Compare.Operator.EQUAL, held.createRevision()))
            .then(TxnOp.put(key, value, session.lease().id()))
            .build();
    return client
        .txnAsync(put)
        .thenCompose(
            r -> {
              if (r.succeeded()) {
                return CompletableFuture.completedFuture(null);
              }
              synchronized (this) {
                if (phase == Phase.LEADER && holder == held) {
                  phase = Phase.IDLE;
                  holder = null;
                  session.release(key, claimant);
                }
              }
              return CompletableFuture.failedFuture(
                  new NotElectedException(
                      "leadership of election "
                          + Acquisition.show(directory)
                          + " lost: key "
                          + this
                          + " is gone"));
            });
  }

  /**
   * Steps down by deleting this candidate's key (only the version it won with), which promotes the
   * next candidate; a running campaign is withdrawn (it fails with code {@link
   * ErrorCode#CANCELLED}). No effect when neither leading nor campaigning.
   *
   * @throws TernException when the delete failed; the candidate then still counts as leader and
   *     resign may be retried
   */
  public void resign() {
    Blocking.await(resignAsync());
  }

  /**
   * Asynchronous {@link #resign()}.
   *
   * @return a future completing once the key is deleted, failing as {@link #resign()} throws
   */
  public CompletableFuture<Void> resignAsync() {
    Acquisition campaigning;
    CompletableFuture<Void> settled;
    Acquisition.Head held;
    synchronized (this) {
      switch (phase) {
        case IDLE -> {
          return CompletableFuture.completedFuture(null);
        }
        case CAMPAIGNING -> {
          campaigning = attempt;
          settled = attemptSettled;
          held = null;
        }
        default -> {
          campaigning = null;
          settled = null;
          held = holder;
        }
      }
    }
    if (campaigning != null) {
      campaigning.abandon(
          new TernException(ErrorCode.CANCELLED, "campaign withdrawn by resign()", null), true);
      // It may have won just before: then step down from that.
      return settled.thenCompose(v -> resignAsync());
    }
    Txn delete =
        Txn.builder()
            .when(Compare.createRevision(key, Compare.Operator.EQUAL, held.createRevision()))
            .then(TxnOp.delete(key))
            .build();
    return client
        .txnAsync(delete)
        .thenAccept(
            r -> {
              synchronized (this) {
                if (phase == Phase.LEADER && holder == held) {
                  phase = Phase.IDLE;
                  holder = null;
                  session.release(key, claimant);
                }
              }
            });
  }

  /**
   * The current leader: the candidate key created first under the prefix, with its value (a
   * linearizable read).
   *
   * @return the leader's key and value, or empty when nobody campaigns
   * @throws TernException for a failed call
   */
  public Optional<KeyValue> leader() {
    return Blocking.await(leaderAsync());
  }

  /** Asynchronous {@link #leader()}. */
  public CompletableFuture<Optional<KeyValue>> leaderAsync() {
    return PrefixSnapshot.read(client, KeyRange.prefix(directory)).thenApply(PrefixSnapshot::first);
  }

  /**
   * Follows the leader: {@code listener} hears the current leader, then every change (a new leader,
   * a proclaimed value, nobody left) in revision order. Needs no campaign.
   *
   * @return the running observation; close it to stop
   * @throws IllegalStateException when the client is closed
   */
  public LeaderObserver observe(LeaderListener listener) {
    return new LeaderObserver(client, directory, Objects.requireNonNull(listener, "listener"));
  }

  /** Whether this candidate leads, as far as this process knows (see the class comment). */
  public synchronized boolean isLeader() {
    return phase == Phase.LEADER;
  }

  /**
   * The leadership's fencing token: the create revision of this candidate's key, larger for every
   * new leader.
   *
   * @throws IllegalStateException when this candidate does not lead
   */
  public synchronized long fencingToken() {
    if (phase != Phase.LEADER) {
      throw new IllegalStateException("election " + this + " is not led by this candidate");
    }
    return holder.createRevision();
  }

  /**
   * A transaction compare that holds only while this candidate still leads.
   *
   * @throws IllegalStateException when this candidate does not lead
   */
  public Compare leaderCompare() {
    return Compare.createRevision(key, Compare.Operator.EQUAL, fencingToken());
  }

  @Override
  public String toString() {
    return Acquisition.show(key);
  }

  private void sessionEnded(TernException reason) {
    Acquisition campaigning = null;
    synchronized (this) {
      if (phase == Phase.LEADER) {
        phase = Phase.IDLE;
        holder = null;
        session.release(key, claimant);
      } else if (phase == Phase.CAMPAIGNING) {
        campaigning = attempt;
      }
    }
    if (campaigning != null) {
      campaigning.abandon(reason, false);
    }
  }
}
