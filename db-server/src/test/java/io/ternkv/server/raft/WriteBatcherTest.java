package io.ternkv.server.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.server.NotLeaderException;
import io.ternkv.server.UnavailableException;
import io.ternkv.server.apply.ApplyResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The batcher against a sink that answers only when the test says so. */
class WriteBatcherTest {
  /** Entries the batcher sent, each with the future the test completes. */
  static final class FakeSink implements WriteBatcher.Sink {
    final List<List<WriteBatcher.Write>> entries = new ArrayList<>();
    final List<CompletableFuture<List<WriteOutcome>>> answers = new ArrayList<>();
    long term = 3;
    RuntimeException notReady;
    long nextIndex = 100;

    @Override
    public long readyTerm() {
      if (notReady != null) {
        throw notReady;
      }
      return term;
    }

    @Override
    public synchronized CompletableFuture<WriteOutcome> single(WriteBatcher.Write write) {
      return batch(List.of(write)).thenApply(l -> l.get(0));
    }

    @Override
    public synchronized CompletableFuture<List<WriteOutcome>> batch(List<WriteBatcher.Write> writes) {
      entries.add(List.copyOf(writes));
      CompletableFuture<List<WriteOutcome>> answer = new CompletableFuture<>();
      answers.add(answer);
      return answer;
    }

    /** Completes entry {@code i} as applied at the next index, one revision per write. */
    void apply(int i) {
      long index = nextIndex++;
      List<WriteOutcome> out = new ArrayList<>();
      for (int w = 0; w < entries.get(i).size(); w++) {
        out.add(new WriteOutcome(ApplyResult.at(index * 1000 + w), index, term));
      }
      answers.get(i).complete(out);
    }
  }

  final FakeSink sink = new FakeSink();
  final RecentWrites recent = new RecentWrites();
  final WriteBatcher batcher = new WriteBatcher("n1", sink, recent, Runnable::run, 2);

  static Command put(String key) {
    return Command.newBuilder()
        .setPut(PutCommand.newBuilder().setKey(ByteString.copyFromUtf8(key)))
        .build();
  }

  static byte[] client(int n) {
    byte[] id = new byte[16];
    id[15] = (byte) n;
    return id;
  }

  @Test
  void idleWritesGoOutAtOnceAndLaterOnesWaitForOneBatch() throws Exception {
    var a = batcher.submit(put("a"), client(1), 1);
    var b = batcher.submit(put("b"), client(1), 2);
    assertEquals(2, sink.entries.size(), "two entries may be in flight");
    List<CompletableFuture<WriteOutcome>> waiting = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      waiting.add(batcher.submit(put("c" + i), client(1), 10 + i));
    }
    assertEquals(2, sink.entries.size(), "the others wait");
    assertEquals(5, batcher.queued());

    sink.apply(0);
    assertTrue(a.isDone());
    assertFalse(b.isDone());
    assertEquals(3, sink.entries.size(), "a finished entry lets the waiting writes go, together");
    assertEquals(5, sink.entries.get(2).size());
    assertEquals(0, batcher.queued());

    sink.apply(1);
    sink.apply(2);
    long index = waiting.get(0).get().logIndex();
    for (int i = 0; i < 5; i++) {
      assertEquals(index, waiting.get(i).get().logIndex(), "one entry");
      assertEquals(index * 1000 + i, waiting.get(i).get().result().revision(), "its own outcome");
    }
  }

  @Test
  void aBatchHoldsAtMostMaxWrites() {
    batcher.submit(put("a"), null, 0);
    batcher.submit(put("b"), null, 0);
    for (int i = 0; i < WriteBatcher.MAX_WRITES + 3; i++) {
      batcher.submit(put("k" + i), null, 0);
    }
    sink.apply(0);
    assertEquals(WriteBatcher.MAX_WRITES, sink.entries.get(2).size());
    sink.apply(1);
    assertEquals(3, sink.entries.get(3).size());
  }

  @Test
  void aBatchStaysUnderItsByteBoundButABigWriteStillGoes() {
    batcher.submit(put("a"), null, 0);
    batcher.submit(put("b"), null, 0);
    String big = "x".repeat(WriteBatcher.MAX_BYTES / 2 + 1);
    Command huge =
        Command.newBuilder()
            .setPut(PutCommand.newBuilder().setKey(ByteString.copyFromUtf8("h")).setValue(ByteString.copyFromUtf8(big + big)))
            .build();
    batcher.submit(huge, null, 0);
    batcher.submit(put("after"), null, 0);
    sink.apply(0);
    assertEquals(1, sink.entries.get(2).size(), "a write over the bound goes alone");
    sink.apply(1);
    assertEquals(1, sink.entries.get(3).size());
  }

  @Test
  void aRetryWhileTheOriginalWaitsJoinsIt() {
    batcher.submit(put("a"), null, 0);
    batcher.submit(put("b"), null, 0);
    var original = batcher.submit(put("x"), client(7), 5);
    var retry = batcher.submit(put("x"), client(7), 5);
    assertSame(original, retry);
    sink.apply(0);
    assertEquals(1, sink.entries.get(2).size(), "sent once");
  }

  @Test
  void aRetryOfAnAppliedWriteGetsItsOutcomeWithoutAnEntry() throws Exception {
    WriteOutcome earlier = new WriteOutcome(ApplyResult.at(42), 17, 2);
    recent.record(RecentWrites.Id.of(client(9), 4), earlier);
    assertSame(earlier, batcher.submit(put("x"), client(9), 4).get());
    assertEquals(0, sink.entries.size());
    batcher.submit(put("x"), client(9), 5);
    assertEquals(1, sink.entries.size(), "another sequence is another write");
  }

  @Test
  void writesCheckedInAnEndedTermFailInsteadOfGoingOut() {
    batcher.submit(put("a"), null, 0);
    batcher.submit(put("b"), null, 0);
    var waiting = batcher.submit(put("c"), client(1), 1);
    sink.term = 4; // a new term of the same leader: another leader may have applied the original
    sink.apply(0);
    ExecutionException e = assertThrows(ExecutionException.class, waiting::get);
    assertInstanceOf(UnavailableException.class, e.getCause());
    assertEquals(2, sink.entries.size());
  }

  @Test
  void aNodeThatCannotTakeWritesRefusesAtOnce() {
    sink.notReady = new NotLeaderException("n1", "n2", "127.0.0.1:1");
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> batcher.submit(put("a"), client(1), 1).get());
    assertInstanceOf(NotLeaderException.class, e.getCause());
    assertEquals(0, sink.entries.size());
  }

  @Test
  void aFailedEntryFailsItsWritesAndFreesItsSlot() {
    var a = batcher.submit(put("a"), client(1), 1);
    batcher.submit(put("b"), null, 0);
    var c = batcher.submit(put("c"), null, 0);
    sink.answers.get(0).completeExceptionally(new NotLeaderException("n1", "n2", "127.0.0.1:1"));
    assertTrue(a.isCompletedExceptionally());
    assertEquals(3, sink.entries.size(), "the waiting write went out");
    sink.apply(2);
    assertTrue(c.isDone() && !c.isCompletedExceptionally());
    // The failed write may be retried: it is not stuck as unfinished.
    batcher.submit(put("a"), client(1), 1);
    assertEquals(4, sink.entries.size());
  }

  @Test
  void closingFailsTheWaitingWrites() {
    batcher.submit(put("a"), null, 0);
    batcher.submit(put("b"), null, 0);
    var waiting = batcher.submit(put("c"), null, 0);
    batcher.close();
    ExecutionException e = assertThrows(ExecutionException.class, waiting::get);
    assertInstanceOf(UnavailableException.class, e.getCause());
    assertTrue(batcher.submit(put("d"), null, 0).isCompletedExceptionally());
  }
}
