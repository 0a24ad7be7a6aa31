package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.KeyValue;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.PutResponse;
import io.ternkv.proto.v1.WriteId;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A write retried with the same WriteId is answered from the original's outcome and applied once,
 * also when the retry reaches a new leader after the old one crashed, when the retry arrives while
 * the original is still in flight, and when the original was coalesced with other writes into one
 * batch entry.
 */
class ExactlyOnceIT {
  static WriteId newWriteId(long sequence) {
    UUID id = UUID.randomUUID();
    ByteBuffer b = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    return WriteId.newBuilder().setClientId(ByteString.copyFrom(b.array())).setSequence(sequence).build();
  }

  static PutResponse put(String endpoint, String key, String value, WriteId id) {
    ManagedChannel ch = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
    try {
      return KVGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)).setWriteId(id).build());
    } finally {
      ch.shutdownNow();
    }
  }

  static KeyValue get(String endpoint, String key) {
    ManagedChannel ch = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
    try {
      return KVGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build())
          .getKv();
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void retriedWriteWithSameIdIsAppliedOnce() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start()) {
      String leader = cluster.endpoint(cluster.awaitLeader(Duration.ofSeconds(20)));
      WriteId id = newWriteId(1);
      PutResponse first = put(leader, "once", "a", id);
      PutResponse retry = put(leader, "once", "a", id);
      assertEquals(first.getHeader().getRevision(), retry.getHeader().getRevision());
      assertEquals(first.getHeader().getRaftIndex(), retry.getHeader().getRaftIndex());
      assertEquals(1, get(leader, "once").getVersion());

      // A different sequence is a different write.
      put(leader, "once", "b", newWriteId(2));
      assertEquals(2, get(leader, "once").getVersion());
    }
  }

  @Test
  void retryReachingNewLeaderAfterCrashIsAppliedOnce() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start()) {
      int oldLeader = cluster.awaitLeader(Duration.ofSeconds(20));
      WriteId id = newWriteId(7);
      PutResponse first = put(cluster.endpoint(oldLeader), "moved", "v", id);
      // Let the followers apply the entry (their retry caches are filled on apply).
      for (int i = 0; i < 3; i++) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cluster.node(i).status().appliedIndex() < first.getHeader().getRaftIndex()
            && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
      }
      cluster.killNode(oldLeader);
      int newLeader = cluster.awaitLeader(Duration.ofSeconds(20));
      PutResponse retry = put(cluster.endpoint(newLeader), "moved", "v", id);
      assertEquals(first.getHeader().getRevision(), retry.getHeader().getRevision());
      assertEquals(1, get(cluster.endpoint(newLeader), "moved").getVersion(), "applied once");
    }
  }

  static com.google.common.util.concurrent.ListenableFuture<PutResponse> putAsync(
      ManagedChannel ch, String key, String value, WriteId id) {
    return KVGrpc.newFutureStub(ch)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .put(
            PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8(key))
                .setValue(ByteString.copyFromUtf8(value))
                .setWriteId(id)
                .build());
  }

  @Test
  void writesCoalescedIntoOneEntryAreAppliedOnceEachAndTheirRetriesRecognised() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(20));
      String endpoint = cluster.endpoint(leader);
      int writes = 40;
      WriteId[] ids = new WriteId[writes];
      PutResponse[] first = new PutResponse[writes];
      ManagedChannel ch = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
      try {
        // With the leader's apply held, the first entries cannot complete, so the writes that
        // arrive meanwhile wait and go out together as one batch entry.
        cluster.node(leader).holdApply();
        List<com.google.common.util.concurrent.ListenableFuture<PutResponse>> sent =
            new java.util.ArrayList<>();
        for (int i = 0; i < writes; i++) {
          ids[i] = newWriteId(i);
          sent.add(putAsync(ch, "batched/" + i, "v" + i, ids[i]));
        }
        Thread.sleep(500);
        cluster.node(leader).releaseApply();
        for (int i = 0; i < writes; i++) {
          first[i] = sent.get(i).get(30, TimeUnit.SECONDS);
        }
      } finally {
        cluster.node(leader).releaseApply();
        ch.shutdownNow();
      }
      java.util.Map<Long, Long> perIndex =
          java.util.Arrays.stream(first)
              .collect(
                  java.util.stream.Collectors.groupingBy(
                      r -> r.getHeader().getRaftIndex(), java.util.stream.Collectors.counting()));
      assertTrue(
          perIndex.values().stream().anyMatch(n -> n > 1),
          "some writes shared one log entry: " + perIndex);
      assertEquals(
          writes,
          java.util.Arrays.stream(first).mapToLong(r -> r.getHeader().getRevision()).distinct().count(),
          "each write has a revision of its own");

      for (int i = 0; i < writes; i++) {
        PutResponse retry = put(endpoint, "batched/" + i, "v" + i, ids[i]);
        assertEquals(first[i].getHeader().getRevision(), retry.getHeader().getRevision());
        assertEquals(first[i].getHeader().getRaftIndex(), retry.getHeader().getRaftIndex());
      }
      for (int i = 0; i < writes; i++) {
        assertEquals(1, get(endpoint, "batched/" + i).getVersion(), "batched/" + i + " applied once");
      }

      // The followers learned the batched writes' outcomes as they applied the batch: a new
      // leader recognises their retries too.
      long last = java.util.Arrays.stream(first).mapToLong(r -> r.getHeader().getRaftIndex()).max().orElseThrow();
      awaitApplied(cluster, last);
      cluster.killNode(leader);
      int newLeader = cluster.awaitLeader(Duration.ofSeconds(20));
      for (int i = 0; i < writes; i++) {
        PutResponse retry = put(cluster.endpoint(newLeader), "batched/" + i, "v" + i, ids[i]);
        assertEquals(first[i].getHeader().getRevision(), retry.getHeader().getRevision());
      }
      for (int i = 0; i < writes; i++) {
        assertEquals(1, get(cluster.endpoint(newLeader), "batched/" + i).getVersion());
      }
    }
  }

  @Test
  void retryArrivingWhileTheOriginalIsInFlightJoinsIt() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(20));
      ManagedChannel ch = NettyChannelBuilder.forTarget(cluster.endpoint(leader)).usePlaintext().build();
      try {
        WriteId id = newWriteId(3);
        cluster.node(leader).holdApply();
        var original = putAsync(ch, "twice", "v", id);
        Thread.sleep(200);
        var retry = putAsync(ch, "twice", "v", id);
        Thread.sleep(200);
        cluster.node(leader).releaseApply();
        PutResponse a = original.get(30, TimeUnit.SECONDS);
        PutResponse b = retry.get(30, TimeUnit.SECONDS);
        assertEquals(a.getHeader().getRevision(), b.getHeader().getRevision());
        assertEquals(1, get(cluster.endpoint(leader), "twice").getVersion(), "applied once");
      } finally {
        cluster.node(leader).releaseApply();
        ch.shutdownNow();
      }
    }
  }

  private static void awaitApplied(LocalCluster cluster, long index) throws InterruptedException {
    for (int i = 0; i < cluster.size(); i++) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (cluster.node(i).status().appliedIndex() < index && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }
  }
}
