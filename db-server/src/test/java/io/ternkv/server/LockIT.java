package io.ternkv.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.concurrency.Lock;
import io.ternkv.client.concurrency.Session;
import io.ternkv.client.concurrency.SessionExpiredException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link Lock} recipe through real clients, gRPC, Raft and store of a 3-node cluster. */
class LockIT {
  static final String PREFIX = "locks/counter";
  static final Duration LONG_TTL = Duration.ofSeconds(10);
  static final Duration SHORT_TTL = Duration.ofSeconds(2);

  LocalCluster cluster;
  TernClient admin;
  final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    admin = client();
  }

  @AfterEach
  void stop() throws Exception {
    List<AutoCloseable> open = new ArrayList<>(resources);
    Collections.reverse(open); // sessions before their clients
    for (AutoCloseable c : open) {
      c.close();
    }
    cluster.close();
  }

  TernClient client() {
    TernClient c =
        TernClient.builder()
            .endpoints(cluster.endpoints())
            .requestTimeout(Duration.ofSeconds(10))
            .build();
    resources.add(c);
    return c;
  }

  Session session(TernClient client, Duration ttl) {
    Session s = Session.open(client, ttl);
    resources.add(s);
    return s;
  }

  /** Keys under the lock's prefix, read linearizably. */
  List<String> lockKeys() {
    return admin.range(KeyRange.prefix(PREFIX + "/"), 0).kvs().stream()
        .map(KeyValue::keyUtf8)
        .toList();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "never: " + what);
      Thread.sleep(20);
    }
  }

  static <T> T within30s(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  /** One stay in the critical section, timed by the holder under the lock. */
  record Holding(int worker, long acquiredNanos, long releasingNanos, long token) {}

  @Test
  void contendingSessionsNeverOverlapAndAPlainCounterCountsEveryAcquisition() throws Exception {
    int workers = 5;
    int rounds = 20;
    byte[] counter = "counter".getBytes(UTF_8);
    admin.put(counter, "0".getBytes(UTF_8));
    List<Holding> holdings = new CopyOnWriteArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    List<Session> sessions = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int w = 0; w < workers; w++) {
      TernClient client = client();
      Session session = session(client, LONG_TTL);
      sessions.add(session);
      Lock lock = new Lock(session, PREFIX);
      int worker = w;
      threads.add(
          new Thread(
              () -> {
                try {
                  go.await();
                  for (int i = 0; i < rounds; i++) {
                    lock.lock();
                    long acquired = System.nanoTime();
                    long token = lock.fencingToken();
                    // A plain read-modify-write: only mutual exclusion keeps it from losing counts.
                    long seen = Long.parseLong(client.get(counter).orElseThrow().valueUtf8());
                    client.put(counter, Long.toString(seen + 1).getBytes(UTF_8));
                    long releasing = System.nanoTime();
                    holdings.add(new Holding(worker, acquired, releasing, token));
                    lock.unlock();
                  }
                } catch (Throwable t) {
                  failures.add(t);
                }
              },
              "locker-" + w));
    }
    threads.forEach(Thread::start);
    go.countDown();
    for (Thread t : threads) {
      t.join(Duration.ofMinutes(3).toMillis());
      assertFalse(t.isAlive(), t.getName() + " finished");
    }
    assertEquals(List.of(), failures);
    assertEquals(workers * rounds, holdings.size());

    List<Holding> byStart = new ArrayList<>(holdings);
    byStart.sort(Comparator.comparingLong(Holding::acquiredNanos));
    for (int i = 1; i < byStart.size(); i++) {
      Holding before = byStart.get(i - 1);
      Holding after = byStart.get(i);
      assertTrue(
          after.acquiredNanos() > before.releasingNanos(),
          "holdings overlap: " + before + " and " + after);
      assertTrue(after.token() > before.token(), "fencing tokens grow: " + before + ", " + after);
    }
    assertEquals(
        Long.toString(workers * rounds),
        admin.get(counter).orElseThrow().valueUtf8(),
        "every acquisition incremented once, none lost");
    for (Session s : sessions) {
      assertEquals(Session.State.ACTIVE, s.state(), s + " stayed alive through the test");
    }
    assertEquals(List.of(), lockKeys(), "every unlock deleted its key");
  }

  @Test
  void aHolderWhoseProcessDiesLosesTheLockAfterItsTtl() throws Exception {
    TernClient doomed = client();
    Session holderSession = session(doomed, SHORT_TTL);
    Lock holder = new Lock(holderSession, PREFIX);
    holder.lock();
    long holderToken = holder.fencingToken();

    Lock waiter = new Lock(session(client(), LONG_TTL), PREFIX);
    CompletableFuture<Void> waiting = waiter.lockAsync();
    await("the waiter's key is queued", () -> lockKeys().size() == 2);
    assertFalse(waiting.isDone(), "the lock is held: the waiter waits");

    doomed.close(); // dies holding the lock: no unlock, no revoke, keep-alives stop
    within30s(waiting);
    assertTrue(waiter.isHeld());
    assertTrue(waiter.fencingToken() > holderToken, "the new holder's token is larger");
    assertEquals(
        List.of(new String(waiter.key(), UTF_8)), lockKeys(), "the dead holder's key expired");
    waiter.unlock();
    assertEquals(List.of(), lockKeys());
  }

  @Test
  void aHolderWhoseLeaseIsRevokedIsToldAndTheWaiterGetsTheLock() throws Exception {
    Session holderSession = session(client(), LONG_TTL);
    Lock holder = new Lock(holderSession, PREFIX);
    holder.lock();
    Lock waiter = new Lock(session(client(), LONG_TTL), PREFIX);
    CompletableFuture<Void> waiting = waiter.lockAsync();
    await("the waiter's key is queued", () -> lockKeys().size() == 2);

    // The holder's process lives on, but its lease ends (as when its keep-alives stop reaching
    // the leader for a TTL).
    admin.leaseRevoke(holderSession.lease().id());
    within30s(waiting);
    assertTrue(waiter.isHeld());

    assertEquals(Session.State.EXPIRED, within30s(holderSession.ended()));
    assertTrue(holderSession.isExpired());
    assertFalse(holder.isHeld(), "the holder knows it lost the lock");
    holder.unlock(); // acknowledging a lost lock is not an error
    assertThrows(SessionExpiredException.class, holder::lock);
    waiter.unlock();
  }

  @Test
  void anAttemptThatTimesOutReturnsFalseAfterItsTimeoutAndLeavesNoKey() throws Exception {
    Lock holder = new Lock(session(client(), LONG_TTL), PREFIX);
    holder.lock();
    List<String> onlyHolder = List.of(new String(holder.key(), UTF_8));
    Lock other = new Lock(session(client(), LONG_TTL), PREFIX);

    long started = System.nanoTime();
    assertFalse(other.tryLock(Duration.ofSeconds(1)));
    assertTrue(
        System.nanoTime() - started >= Duration.ofSeconds(1).toNanos(), "waited its timeout");
    assertFalse(other.isHeld());
    assertEquals(onlyHolder, lockKeys(), "the timed-out attempt removed its key");

    assertFalse(other.tryLock(), "taken: no waiting");
    assertEquals(onlyHolder, lockKeys());

    // A cancelled wait removes its key too.
    CompletableFuture<Void> cancelled = other.lockAsync();
    await("the attempt's key is queued", () -> lockKeys().size() == 2);
    cancelled.cancel(false);
    await("the cancelled attempt's key is removed", () -> lockKeys().equals(onlyHolder));
    await("the cancelled attempt settled", () -> !other.isHeld() && canLockAgain(other));

    holder.unlock();
    assertTrue(other.tryLock(), "free now");
    assertTrue(other.isHeld());
    other.unlock();
    assertEquals(List.of(), lockKeys());
  }

  /** Whether {@code lock} accepts a new attempt (its last one has settled); leaves it unlocked. */
  static boolean canLockAgain(Lock lock) {
    try {
      if (lock.tryLock()) {
        lock.unlock();
      }
      return true;
    } catch (IllegalStateException stillSettling) {
      return false;
    }
  }

  @Test
  void aLockIsNotReentrantAndASessionHasOneKeyPerPrefix() throws Exception {
    Session session = session(client(), LONG_TTL);
    Lock lock = new Lock(session, PREFIX);
    assertThrows(IllegalStateException.class, lock::unlock, "never locked");
    lock.lock();
    assertThrows(IllegalStateException.class, lock::lock, "not re-entrant");
    Lock twin = new Lock(session, PREFIX + "/"); // same directory, same key
    assertThrows(IllegalStateException.class, twin::lock);
    assertEquals(1, lockKeys().size());
    assertEquals(
        lock.fencingToken(),
        admin.get(lock.key()).orElseThrow().createRevision(),
        "the fencing token is the key's create revision");
    lock.unlock();
    assertThrows(IllegalStateException.class, lock::unlock, "already unlocked");
    twin.lock(); // the prefix is free for another Lock of the session now
    twin.unlock();

    session.close();
    assertThrows(IllegalStateException.class, lock::lock, "closed session");
    TernException gone =
        assertThrows(TernException.class, () -> admin.leaseRevoke(session.lease().id()));
    assertEquals(
        io.ternkv.client.ErrorCode.FAILED_PRECONDITION, gone.code(), "close revoked the lease");
  }

  @Test
  void closingTheSessionReleasesTheLockAndFailsItsWaiters() throws Exception {
    Session holderSession = session(client(), LONG_TTL);
    Lock holder = new Lock(holderSession, PREFIX);
    holder.lock();
    Session waiterSession = session(client(), LONG_TTL);
    Lock waiter = new Lock(waiterSession, PREFIX);
    CompletableFuture<Void> waiting = waiter.lockAsync();
    await("the waiter's key is queued", () -> lockKeys().size() == 2);

    waiterSession.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> within30s(waiting));
    TernException why = assertInstanceOf(TernException.class, e.getCause());
    assertEquals(io.ternkv.client.ErrorCode.CANCELLED, why.code(), why.getMessage());
    assertEquals(List.of(new String(holder.key(), UTF_8)), lockKeys());

    holderSession.close();
    assertFalse(holder.isHeld());
    assertEquals(List.of(), lockKeys(), "closing revoked the lease, releasing the lock at once");
  }
}
