package io.ternkv.server.raft;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.server.ServerBusyException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AppliedWaitersTest {
  final AtomicLong applied = new AtomicLong(5);
  final AppliedWaiters waiters = new AppliedWaiters(applied::get, Runnable::run);

  @Test
  void completesAtOnceWhenAlreadyApplied() {
    assertTrue(waiters.await(5).isDone());
    assertTrue(waiters.await(1).isDone());
  }

  @Test
  void completesInIndexOrderAsApplyAdvances() {
    CompletableFuture<Void> seven = waiters.await(7);
    CompletableFuture<Void> nine = waiters.await(9);
    applied.set(7);
    waiters.release(7);
    assertTrue(seven.isDone());
    assertFalse(nine.isDone());
    applied.set(10);
    waiters.release(10);
    assertTrue(nine.isDone());
  }

  @Test
  void oneCallersTimeoutDoesNotFailAnother() throws Exception {
    CompletableFuture<Void> impatient = waiters.await(8).orTimeout(1, TimeUnit.MILLISECONDS);
    CompletableFuture<Void> patient = waiters.await(8);
    assertThrows(ExecutionException.class, () -> impatient.get(1, TimeUnit.SECONDS));
    applied.set(8);
    waiters.release(8);
    patient.get(1, TimeUnit.SECONDS);
  }

  @Test
  void refusesBeyondTheCapOfPendingIndexes() {
    for (int i = 0; i < AppliedWaiters.MAX_PENDING_INDEXES; i++) {
      waiters.await(100 + i);
    }
    CompletableFuture<Void> over = waiters.await(1_000_000);
    assertTrue(over.isCompletedExceptionally());
    ExecutionException e = assertThrows(ExecutionException.class, over::get);
    assertInstanceOf(ServerBusyException.class, e.getCause());
    assertFalse(waiters.await(100).isCompletedExceptionally(), "an index already waited for still joins");
  }
}
