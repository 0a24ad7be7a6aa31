package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.GetResponse;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.PutResponse;
import io.ternkv.proto.v1.ReadConsistency;
import io.ternkv.proto.v1.WriteConsistency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each read and write level shows its guarantee on a 3-node LocalCluster, through raw gRPC so
 * that the node answering is the node asked (no client redirects or retries).
 */
class ConsistencyIT {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  LocalCluster cluster;
  final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(TIMEOUT);
    for (String e : cluster.endpoints()) {
      channels.add(NettyChannelBuilder.forTarget(e).usePlaintext().build());
    }
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
  }

  KVGrpc.KVBlockingStub stub(int node) {
    return KVGrpc.newBlockingStub(channels.get(node)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  PutResponse put(int node, String key, String value, WriteConsistency c) {
    return stub(node)
        .put(PutRequest.newBuilder().setKey(utf8(key)).setValue(utf8(value)).setConsistency(c).build());
  }

  GetResponse get(int node, String key, ReadConsistency c, long minIndex, long maxStalenessMs) {
    return stub(node)
        .get(
            GetRequest.newBuilder()
                .setKey(utf8(key))
                .setConsistency(c)
                .setMinIndex(minIndex)
                .setMaxStalenessMs(maxStalenessMs)
                .build());
  }

  /** Puts on whichever node leads, again after a leader change (a busy machine may have one). */
  void putOnLeader(String key, String value) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        put(cluster.awaitLeader(TIMEOUT), key, value, WriteConsistency.WRITE_MAJORITY);
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  String value(int node, String key, ReadConsistency c) {
    GetResponse r = get(node, key, c, 0, 0);
    return r.hasKv() ? r.getKv().getValue().toStringUtf8() : null;
  }

  static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  void awaitValue(int node, String key, String expected) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!expected.equals(value(node, key, ReadConsistency.READ_STALE))) {
      assertTrue(System.nanoTime() < deadline, "node " + node + " never showed " + key + "=" + expected);
      Thread.sleep(10);
    }
  }

  @Test
  void staleReadOnHeldFollowerReturnsOldValueAndRefusesPastMaxStaleness() throws Exception {
    int leader = cluster.awaitLeader(TIMEOUT);
    int follower = (leader + 1) % 3;
    put(leader, "k", "old", WriteConsistency.WRITE_MAJORITY);
    awaitValue(follower, "k", "old");

    cluster.node(follower).holdApply();
    try {
      put(leader, "k", "new", WriteConsistency.WRITE_MAJORITY);
      assertEquals("new", value(leader, "k", ReadConsistency.READ_LINEARIZABLE));
      assertEquals("old", value(follower, "k", ReadConsistency.READ_STALE), "stale read shows local state");

      Thread.sleep(600);
      StatusRuntimeException refused =
          assertThrowsStatus(() -> get(follower, "k", ReadConsistency.READ_STALE, 0, 300));
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().contains("max_staleness"), refused.getMessage());
    } finally {
      cluster.node(follower).releaseApply();
    }
    awaitValue(follower, "k", "new");
    // Caught up again: the same bound is met.
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        assertEquals("new", get(follower, "k", ReadConsistency.READ_STALE, 0, 300).getKv().getValue().toStringUtf8());
        break;
      } catch (StatusRuntimeException e) {
        assertTrue(System.nanoTime() < deadline, "follower never met max_staleness again: " + e);
        Thread.sleep(20);
      }
    }
  }

  @Test
  void boundedStaleReadOnAFollowerCutOffFromTheLeaderNeverReturnsAnOlderValueThanTheBound()
      throws Exception {
    boundedStaleReadOnAFollowerNeverReturnsAnOlderValueThanTheBound(cluster::isolate);
  }

  @Test
  void boundedStaleReadOnAFollowerHearingHeartbeatsButNoEntriesNeverReturnsAnOlderValueThanTheBound()
      throws Exception {
    boundedStaleReadOnAFollowerNeverReturnsAnOlderValueThanTheBound(cluster::cutEntriesTo);
  }

  void boundedStaleReadOnAFollowerNeverReturnsAnOlderValueThanTheBound(
      java.util.function.IntConsumer fault) throws Exception {
    putOnLeader("cut-f", "old");
    int follower = (cluster.awaitLeader(TIMEOUT) + 1) % 3;
    awaitValue(follower, "cut-f", "old");
    long bound = 1000;
    assertEquals(
        "old",
        get(follower, "cut-f", ReadConsistency.READ_STALE, 0, bound).getKv().getValue().toStringUtf8());
    fault.accept(follower);
    try {
      putOnLeader("cut-f", "new");
      long acknowledged = System.nanoTime();
      // Ask for a while past the bound: every answer must be the new value or a refusal.
      long until = acknowledged + TimeUnit.MILLISECONDS.toNanos(bound * 4);
      int refusals = 0;
      List<Long> tooStale = new ArrayList<>();
      while (System.nanoTime() < until) {
        long invoked = System.nanoTime();
        try {
          String v =
              get(follower, "cut-f", ReadConsistency.READ_STALE, 0, bound).getKv().getValue().toStringUtf8();
          long staleMs = TimeUnit.NANOSECONDS.toMillis(invoked - acknowledged);
          if (!v.equals("new") && staleMs > bound) {
            tooStale.add(staleMs);
          }
        } catch (StatusRuntimeException e) {
          assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getMessage());
          assertTrue(e.getStatus().getDescription().contains("max_staleness"), e.getMessage());
          refusals++;
        }
        Thread.sleep(50);
      }
      assertTrue(
          tooStale.isEmpty(),
          () -> "follower served the overwritten value "
              + tooStale.size()
              + " times, up to "
              + tooStale.get(tooStale.size() - 1)
              + " ms after it was overwritten, with max_staleness "
              + bound
              + " ms");
      assertTrue(refusals > 0, "a follower cut off for " + bound * 4 + " ms must refuse a bound of " + bound + " ms");
      // Unbounded, it still answers from local state.
      assertEquals("old", value(follower, "cut-f", ReadConsistency.READ_STALE));
    } finally {
      cluster.heal();
    }
    awaitValue(follower, "cut-f", "new");
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        assertEquals(
            "new",
            get(follower, "cut-f", ReadConsistency.READ_STALE, 0, bound).getKv().getValue().toStringUtf8());
        break;
      } catch (StatusRuntimeException e) {
        assertTrue(System.nanoTime() < deadline, "follower never met max_staleness again: " + e);
        Thread.sleep(20);
      }
    }
  }

  @Test
  void sessionReadOnFollowerWaitsForTheClientsLastWrite() throws Exception {
    int leader = cluster.awaitLeader(TIMEOUT);
    int follower = (leader + 1) % 3;
    cluster.node(follower).holdApply();
    CompletableFuture<GetResponse> read = new CompletableFuture<>();
    long index;
    try {
      index = put(leader, "s", "mine", WriteConsistency.WRITE_MAJORITY).getHeader().getRaftIndex();
      KVGrpc.newStub(channels.get(follower))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .get(
              GetRequest.newBuilder()
                  .setKey(utf8("s"))
                  .setConsistency(ReadConsistency.READ_SESSION)
                  .setMinIndex(index)
                  .build(),
              observer(read));
      Thread.sleep(300);
      assertFalse(read.isDone(), "a session read must wait for the follower to apply the write");
    } finally {
      cluster.node(follower).releaseApply();
    }
    GetResponse r = read.get(10, TimeUnit.SECONDS);
    assertEquals("mine", r.getKv().getValue().toStringUtf8());
    assertTrue(r.getHeader().getRaftIndex() >= index);
  }

  @Test
  void sessionReadOnAFarBehindNodeAnswersUnavailableSoTheClientCanGoElsewhere() throws Exception {
    int leader = cluster.awaitLeader(TIMEOUT);
    int follower = (leader + 1) % 3;
    cluster.node(follower).holdApply();
    try {
      long index =
          put(leader, "far", "mine", WriteConsistency.WRITE_MAJORITY).getHeader().getRaftIndex();
      // The call may take 10 s, but the node gives up well before, leaving time for another.
      StatusRuntimeException e =
          assertThrowsStatus(() -> get(follower, "far", ReadConsistency.READ_SESSION, index, 0));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getMessage());
      assertTrue(e.getStatus().getDescription().contains("try another node"), e.getMessage());
    } finally {
      cluster.node(follower).releaseApply();
    }
  }

  @Test
  void boundedStaleReadOnALeaderCutOffFromTheMajorityIsRefused() throws Exception {
    int leader = cluster.awaitLeader(TIMEOUT);
    put(leader, "cut", "v", WriteConsistency.WRITE_MAJORITY);
    // A ready leader that hears from its followers meets a bound of a few heartbeats.
    assertEquals("v", get(leader, "cut", ReadConsistency.READ_STALE, 0, 1000).getKv().getValue().toStringUtf8());
    cluster.isolate(leader);
    try {
      Thread.sleep(400);
      StatusRuntimeException e =
          assertThrowsStatus(() -> get(leader, "cut", ReadConsistency.READ_STALE, 0, 200));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getMessage());
      // Unbounded, it still answers from local state.
      assertEquals("v", value(leader, "cut", ReadConsistency.READ_STALE));
    } finally {
      cluster.heal();
    }
  }

  @Test
  void sessionReadsAcrossNodesNeverGoBack() {
    int leader = cluster.awaitLeader(TIMEOUT);
    long seen = 0;
    long lastValue = -1;
    for (int i = 0; i < 60; i++) {
      if (i % 3 == 0) {
        seen = Math.max(seen, put(leader, "counter", Long.toString(i), WriteConsistency.WRITE_MAJORITY).getHeader().getRaftIndex());
      }
      GetResponse r = get(i % 3, "counter", ReadConsistency.READ_SESSION, seen, 0);
      long v = Long.parseLong(r.getKv().getValue().toStringUtf8());
      assertTrue(v >= lastValue, "read " + v + " after " + lastValue + " on node " + (i % 3));
      assertTrue(v >= (i / 3) * 3, "read-your-writes: saw " + v + " at step " + i);
      lastValue = v;
      seen = Math.max(seen, r.getHeader().getRaftIndex());
    }
  }

  @Test
  void deposedLeaderCutOffFromMajorityNeverServesAnOldValue() throws Exception {
    int old = cluster.awaitLeader(TIMEOUT);
    put(old, "p", "before", WriteConsistency.WRITE_MAJORITY);
    cluster.isolate(old);
    int fresh = awaitLeaderOtherThan(old);
    put(fresh, "p", "after", WriteConsistency.WRITE_MAJORITY);

    for (ReadConsistency level : List.of(ReadConsistency.READ_LINEARIZABLE, ReadConsistency.READ_LEASE)) {
      try {
        GetResponse r =
            KVGrpc.newBlockingStub(channels.get(old))
                .withDeadlineAfter(2, TimeUnit.SECONDS)
                .get(GetRequest.newBuilder().setKey(utf8("p")).setConsistency(level).build());
        assertEquals("after", r.getKv().getValue().toStringUtf8(), level + " served an old value");
      } catch (StatusRuntimeException e) {
        // Refusing is fine (not leader, no quorum, deadline): serving "before" is not.
        assertTrue(
            List.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED).contains(e.getStatus().getCode()),
            level + ": " + e);
      }
    }
    cluster.heal();
    awaitValue(old, "p", "after");
  }

  @Test
  void linearizableReadsOnAnIdleLeaderAreConfirmedByTheVotersTermsNotByLogEntries()
      throws Exception {
    putOnLeader("idle", "v");
    int leader = cluster.awaitLeader(TIMEOUT);
    // Let the put's trailing entries (Ratis's commit-index metadata) settle first.
    long before = cluster.node(leader).status().lastIndex();
    for (long settled = System.nanoTime(); System.nanoTime() - settled < 300_000_000L; ) {
      Thread.sleep(20);
      long now = cluster.node(leader).status().lastIndex();
      if (now != before) {
        before = now;
        settled = System.nanoTime();
      }
    }
    int reads = 40;
    for (int i = 0; i < reads; i++) {
      assertEquals("v", value(leader, "idle", ReadConsistency.READ_LINEARIZABLE));
    }
    // Concurrent reads share rounds: a round started by one read must outlive that read's call
    // (it once ran in the read's gRPC context, was cancelled with it, and fell back to a no-op).
    final int l = leader;
    List<Thread> readers = new ArrayList<>();
    java.util.concurrent.atomic.AtomicInteger wrong = new java.util.concurrent.atomic.AtomicInteger();
    for (int t = 0; t < 8; t++) {
      readers.add(
          new Thread(
              () -> {
                for (int i = 0; i < 50; i++) {
                  if (!"v".equals(value(l, "idle", ReadConsistency.READ_LINEARIZABLE))) {
                    wrong.incrementAndGet();
                  }
                }
              }));
    }
    readers.forEach(Thread::start);
    for (Thread t : readers) {
      t.join();
    }
    assertEquals(0, wrong.get());
    long appended = cluster.node(leader).status().lastIndex() - before;
    // A no-op per round would append hundreds of entries; allow a couple from background work.
    assertTrue(
        appended <= 2,
        reads + " sequential and 400 concurrent LINEARIZABLE reads appended " + appended + " entries");
  }

  @Test
  void isolatedLeaderNeverAnswersALinearizableReadWithAValueOverwrittenByTheNewLeader()
      throws Exception {
    // Ratis answers ReadIndex at once when the leader's commit index was already acknowledged by a
    // majority (ReadIndexHeartbeats.ackedCommitIndex), and a leader cut off from the majority
    // keeps that commit index until it steps down: electionTimeoutMax (up to twice that) after the
    // majority last answered, while the followers elect a new leader after their own timeout,
    // from electionTimeoutMin on. A wide range keeps that window open in most rounds.
    restartCluster(b -> b.electionTimeout(Duration.ofMillis(300), Duration.ofMillis(3000)));
    int conclusive = 0;
    int stale = 0;
    List<String> report = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      RoundResult r = readFromIsolatedLeaderAfterNewLeaderAcknowledges("r" + round);
      report.add(r.toString());
      if (r.windowOpen()) {
        conclusive++;
      }
      stale += r.staleCount();
    }
    System.out.println("isolated leader rounds: " + report);
    assertEquals(0, stale, "the old leader served LINEARIZABLE reads of an overwritten value: " + report);
    assertTrue(conclusive > 0, "the old leader always stepped down before the new one acknowledged v2: " + report);
  }

  record RoundResult(long ackMs, long stepDownMs, boolean windowOpen, int served, int staleCount, List<String> stale) {}

  RoundResult readFromIsolatedLeaderAfterNewLeaderAcknowledges(String key) throws Exception {
    int old = cluster.awaitLeader(TIMEOUT);
    putOnLeader(key, "v1");
    old = cluster.awaitLeader(TIMEOUT);
    for (int i = 0; i < 5; i++) {
      assertEquals("v1", value(old, key, ReadConsistency.READ_LINEARIZABLE));
      Thread.sleep(20);
    }
    final int oldLeader = old;
    java.util.concurrent.atomic.AtomicLong v2AckedAt = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    List<String> staleReads = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicInteger servedAfterAck = new java.util.concurrent.atomic.AtomicInteger();
    Runnable readLoop =
        () -> {
          while (!stop.get()) {
            long sent = System.nanoTime();
            try {
              GetResponse r =
                  KVGrpc.newBlockingStub(channels.get(oldLeader))
                      .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                      .get(
                          GetRequest.newBuilder()
                              .setKey(utf8(key))
                              .setConsistency(ReadConsistency.READ_LINEARIZABLE)
                              .build());
              if (sent - v2AckedAt.get() > 0) {
                servedAfterAck.incrementAndGet();
                String v = r.getKv().getValue().toStringUtf8();
                if (!"v2".equals(v)) {
                  staleReads.add(
                      v + " sent " + TimeUnit.NANOSECONDS.toMillis(sent - v2AckedAt.get())
                          + " ms after v2 was acknowledged");
                }
              }
            } catch (StatusRuntimeException e) {
              // Refusing (not leader, deadline) is fine.
            }
            try {
              Thread.sleep(2);
            } catch (InterruptedException e) {
              return;
            }
          }
        };
    List<Thread> readers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      readers.add(new Thread(readLoop, "isolated-leader-reader-" + i));
    }
    long isolatedAt = System.nanoTime();
    cluster.isolate(old);
    readers.forEach(Thread::start);
    try {
      int fresh = awaitLeaderOtherThan(old);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (true) {
        try {
          put(fresh, key, "v2", WriteConsistency.WRITE_MAJORITY);
          break;
        } catch (StatusRuntimeException e) {
          assertTrue(System.nanoTime() < deadline, "the majority never acknowledged v2: " + e);
          Thread.sleep(5);
        }
      }
      v2AckedAt.set(System.nanoTime());
      boolean windowOpen = cluster.node(old).isLeader();
      long ackMs = TimeUnit.NANOSECONDS.toMillis(v2AckedAt.get() - isolatedAt);
      // Keep reading until the old leader steps down, and a little after.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      while (cluster.node(old).isLeader() && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      long stepDownMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - isolatedAt);
      Thread.sleep(50);
      stop.set(true);
      for (Thread t : readers) {
        t.join();
      }
      List<String> firstStale;
      synchronized (staleReads) {
        firstStale = List.copyOf(staleReads.subList(0, Math.min(3, staleReads.size())));
      }
      return new RoundResult(ackMs, stepDownMs, windowOpen, servedAfterAck.get(), staleReads.size(), firstStale);
    } finally {
      stop.set(true);
      for (Thread t : readers) {
        t.join();
      }
      cluster.heal();
      awaitValue(old, key, "v2");
    }
  }

  void restartCluster(java.util.function.UnaryOperator<ServerConfig.Builder> configure) throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    channels.clear();
    cluster.close();
    cluster = LocalCluster.builder().nodes(3).configure(configure).start();
    cluster.awaitLeader(TIMEOUT);
    for (String e : cluster.endpoints()) {
      channels.add(NettyChannelBuilder.forTarget(e).usePlaintext().build());
    }
  }

  @Test
  void isolatedLeaderStopsServingLeaseReadsLocallyOnceItsLeaseExpires() throws Exception {
    // Between lease expiry (0.9 x 300 ms) and Ratis stepping the leader down, a LEASE read must
    // fall back to ReadIndex, which cannot reach a majority: it must not answer from local state.
    int leader = cluster.awaitLeader(TIMEOUT);
    put(leader, "e", "v", WriteConsistency.WRITE_MAJORITY);
    int conclusive = 0;
    for (int attempt = 0; attempt < 5 && conclusive == 0; attempt++) {
      int current = cluster.awaitLeader(TIMEOUT);
      put(current, "e", "v" + attempt, WriteConsistency.WRITE_MAJORITY);
      cluster.isolate(current);
      try {
        Thread.sleep(330);
        boolean leaderBefore = cluster.node(current).isLeader();
        boolean served;
        try {
          KVGrpc.newBlockingStub(channels.get(current))
              .withDeadlineAfter(120, TimeUnit.MILLISECONDS)
              .get(GetRequest.newBuilder().setKey(utf8("e")).setConsistency(ReadConsistency.READ_LEASE).build());
          served = true;
        } catch (StatusRuntimeException e) {
          served = false;
        }
        boolean leaderAfter = cluster.node(current).isLeader();
        if (leaderBefore && leaderAfter) {
          conclusive++;
          assertFalse(served, "an isolated leader answered a LEASE read after its lease expired");
        }
      } finally {
        cluster.heal();
      }
      cluster.awaitLeader(TIMEOUT);
    }
    assertTrue(conclusive > 0, "the isolated leader always stepped down before the probe; nothing was checked");
  }

  @Test
  void leaseReadOnLeaderSeesTheLatestWrite() {
    int leader = cluster.awaitLeader(TIMEOUT);
    for (int i = 0; i < 20; i++) {
      put(leader, "l", "v" + i, WriteConsistency.WRITE_MAJORITY);
      assertEquals("v" + i, value(leader, "l", ReadConsistency.READ_LEASE));
    }
  }

  @Test
  void allWriteIsAcknowledgedOnlyOnceEveryVoterAppliedIt() throws Exception {
    int leader = cluster.awaitLeader(TIMEOUT);
    int slow = (leader + 2) % 3;
    cluster.node(slow).holdApply();
    CompletableFuture<PutResponse> ack = new CompletableFuture<>();
    try {
      KVGrpc.newStub(channels.get(leader))
          .withDeadlineAfter(15, TimeUnit.SECONDS)
          .put(
              PutRequest.newBuilder()
                  .setKey(utf8("a"))
                  .setValue(utf8("everywhere"))
                  .setConsistency(WriteConsistency.WRITE_ALL)
                  .build(),
              observer(ack));
      Thread.sleep(400);
      assertFalse(ack.isDone(), "WRITE_ALL acknowledged before the held voter applied it");
    } finally {
      cluster.node(slow).releaseApply();
    }
    ack.get(15, TimeUnit.SECONDS);
    for (int node = 0; node < 3; node++) {
      assertEquals("everywhere", value(node, "a", ReadConsistency.READ_STALE), "node " + node);
    }
  }

  @Test
  void logReadReturnsTheLatestAcknowledgedValue() {
    int leader = cluster.awaitLeader(TIMEOUT);
    PutResponse w = put(leader, "g", "latest", WriteConsistency.WRITE_MAJORITY);
    GetResponse r = get(leader, "g", ReadConsistency.READ_LOG, 0, 0);
    assertEquals("latest", r.getKv().getValue().toStringUtf8());
    assertTrue(r.getHeader().getRaftIndex() > w.getHeader().getRaftIndex(), "the read took a log entry");
    assertEquals(w.getHeader().getRevision(), r.getHeader().getRevision(), "a read changes no revision");
  }

  int awaitLeaderOtherThan(int old) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < 3; i++) {
        if (i != old && cluster.node(i).isLeader()) {
          return i;
        }
      }
      Thread.sleep(20);
    }
    return fail("no new leader among the majority side");
  }

  static <T> StreamObserver<T> observer(CompletableFuture<T> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        into.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        into.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }

  static StatusRuntimeException assertThrowsStatus(Runnable r) {
    try {
      r.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    return fail("expected an error status");
  }

  @Test
  void isolationTestHelperReallyIsolates() throws Exception {
    // Guards the partition tool itself: with the leader isolated, the others elect a new one.
    int old = cluster.awaitLeader(TIMEOUT);
    cluster.isolate(old);
    assertNotEquals(old, awaitLeaderOtherThan(old));
  }
}
