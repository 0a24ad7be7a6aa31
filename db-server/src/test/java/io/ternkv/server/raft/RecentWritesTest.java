package io.ternkv.server.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ternkv.server.apply.ApplyResult;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RecentWritesTest {
  static byte[] client(int n) {
    return ByteBuffer.allocate(16).putLong(n).putLong(-n).array();
  }

  @Test
  void findsARecordedWriteByClientAndSequence() {
    RecentWrites recent = new RecentWrites();
    WriteOutcome o = new WriteOutcome(ApplyResult.at(5), 9, 1);
    recent.record(RecentWrites.Id.of(client(1), 3), o);
    assertSame(o, recent.find(RecentWrites.Id.of(client(1), 3)));
    assertSame(o, recent.find(RecentWrites.Id.of(ByteBuffer.wrap(client(1)), 3)));
    assertNull(recent.find(RecentWrites.Id.of(client(1), 4)));
    assertNull(recent.find(RecentWrites.Id.of(client(2), 3)));
  }

  @Test
  void anonymousWritesHaveNoId() {
    assertNull(RecentWrites.Id.of(ByteBuffer.allocate(0), 1));
    assertNull(RecentWrites.Id.of(ByteBuffer.allocate(15), 1));
  }

  @Test
  void forgetsWritesOlderThanTheRetention() throws Exception {
    RecentWrites recent = new RecentWrites(TimeUnit.MILLISECONDS.toNanos(20));
    recent.record(RecentWrites.Id.of(client(1), 1), new WriteOutcome(ApplyResult.at(1), 1, 1));
    Thread.sleep(40);
    recent.record(RecentWrites.Id.of(client(1), 2), new WriteOutcome(ApplyResult.at(2), 2, 1));
    assertNull(recent.find(RecentWrites.Id.of(client(1), 1)));
    assertEquals(1, recent.size());
  }
}
