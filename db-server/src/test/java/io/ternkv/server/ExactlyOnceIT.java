package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A write retried with the same WriteId is answered from Ratis's retry cache and applied once,
 * also when the retry reaches a new leader after the old one crashed.
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
}
