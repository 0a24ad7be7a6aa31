package io.ternkv.server.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class LeaderConfirmationsTest {
  static final int CAP = 4;
  final List<CompletableFuture<Object>> noops = new ArrayList<>();
  final LeaderConfirmations confirmations =
      new LeaderConfirmations(
          () -> {
            CompletableFuture<Object> f = new CompletableFuture<>();
            noops.add(f);
            return f;
          },
          CAP);

  @Test
  void aCommitOfAnEntryAppendedBeforeTheReadArrivedDoesNotConfirmIt() {
    long before = System.nanoTime();
    long arrived = before + 10;
    CompletableFuture<Void> read = confirmations.after(arrived);
    confirmations.confirmed(before);
    assertFalse(read.isDone());
    confirmations.confirmed(arrived + 1);
    assertTrue(read.isDone());
  }

  @Test
  void oneNoopInFlightServesEveryReadThatArrivedBeforeIt() {
    long now = System.nanoTime();
    CompletableFuture<Void> a = confirmations.after(now - 2);
    CompletableFuture<Void> b = confirmations.after(now - 1);
    assertEquals(1, noops.size());
    noops.get(0).complete(null);
    assertTrue(a.isDone() && b.isDone());
    assertEquals(0, confirmations.waiting());
  }

  @Test
  void aReadArrivingWhileANoopIsInFlightGetsAnotherNoopAfterIt() throws InterruptedException {
    CompletableFuture<Void> first = confirmations.after(System.nanoTime());
    Thread.sleep(1);
    CompletableFuture<Void> late = confirmations.after(System.nanoTime());
    assertEquals(2, noops.size(), "the first no-op was appended before the late read arrived");
    noops.get(0).complete(null);
    assertTrue(first.isDone());
    assertFalse(late.isDone());
    noops.get(1).complete(null);
    assertTrue(late.isDone());
  }

  @Test
  void aFailedNoopFailsTheReadsItWasFor() {
    CompletableFuture<Void> read = confirmations.after(System.nanoTime());
    noops.get(0).completeExceptionally(new IllegalStateException("not leader"));
    assertTrue(read.isCompletedExceptionally());
    assertEquals(0, confirmations.waiting());
    assertEquals(1, noops.size(), "no retry without waiting reads");
  }

  @Test
  void noMoreThanTheCapOfNoopsRunAtOnce() {
    for (int i = 0; i < 10; i++) {
      confirmations.after(System.nanoTime() + 1_000_000_000L * (i + 1));
    }
    assertEquals(CAP, noops.size());
    noops.get(0).complete(null);
    assertEquals(CAP + 1, noops.size());
  }

  @Test
  void oneFollowerInTheLeadersTermIsAMajorityOfThree() {
    List<CompletableFuture<Long>> answers = List.of(new CompletableFuture<>(), new CompletableFuture<>());
    CompletableFuture<Void> done = LeaderConfirmations.inTerm(answers, 1, 7);
    assertFalse(done.isDone());
    answers.get(1).complete(7L);
    assertTrue(done.isDone() && !done.isCompletedExceptionally());
  }

  @Test
  void aFollowerInALaterTermDoesNotCount() {
    List<CompletableFuture<Long>> answers = List.of(new CompletableFuture<>(), new CompletableFuture<>());
    CompletableFuture<Void> done = LeaderConfirmations.inTerm(answers, 1, 7);
    answers.get(0).complete(8L);
    assertFalse(done.isDone(), "the other follower may still be in term 7");
    answers.get(1).complete(8L);
    assertTrue(done.isCompletedExceptionally());
  }

  @Test
  void anEarlierTermDoesNotCountEither() {
    List<CompletableFuture<Long>> answers = List.of(new CompletableFuture<>(), new CompletableFuture<>());
    CompletableFuture<Void> done = LeaderConfirmations.inTerm(answers, 1, 7);
    answers.get(0).complete(6L);
    answers.get(1).completeExceptionally(new IllegalStateException("down"));
    assertTrue(done.isCompletedExceptionally());
  }

  @Test
  void fiveVotersNeedTwoFollowersAndFailOnceThreeCannotAnswer() {
    List<CompletableFuture<Long>> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      answers.add(new CompletableFuture<>());
    }
    CompletableFuture<Void> done = LeaderConfirmations.inTerm(answers, 2, 3);
    answers.get(0).complete(3L);
    assertFalse(done.isDone(), "one follower and the leader are two of five");
    answers.get(1).completeExceptionally(new IllegalStateException("down"));
    answers.get(2).complete(4L);
    assertFalse(done.isDone());
    answers.get(3).complete(3L);
    assertTrue(done.isDone() && !done.isCompletedExceptionally());

    List<CompletableFuture<Long>> failing = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      failing.add(new CompletableFuture<>());
    }
    CompletableFuture<Void> refused = LeaderConfirmations.inTerm(failing, 2, 3);
    failing.get(0).complete(4L);
    failing.get(1).complete(4L);
    assertFalse(refused.isDone());
    failing.get(2).completeExceptionally(new IllegalStateException("down"));
    assertTrue(refused.isCompletedExceptionally());
  }

  @Test
  void aSingleVoterNeedsNoAnswer() {
    assertTrue(LeaderConfirmations.inTerm(List.of(), 0, 1).isDone());
  }
}
