package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.GetResponse;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.NotLeader;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.PutResponse;
import io.ternkv.proto.v1.RangeRequest;
import io.ternkv.proto.v1.RangeResponse;
import io.ternkv.proto.v1.ReadConsistency;
import io.ternkv.server.apply.RequestLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The raw gRPC contract of a node: redirects, validation, headers. No client library. */
class KvServiceIT {
  static LocalCluster cluster;
  static List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    for (String e : cluster.endpoints()) {
      channels.add(NettyChannelBuilder.forTarget(e).usePlaintext().build());
    }
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
  }

  static KVGrpc.KVBlockingStub stub(int i) {
    return KVGrpc.newBlockingStub(channels.get(i)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void followerAnswersUnavailableWithLeaderAddress() {
    int leader = cluster.awaitLeader(Duration.ofSeconds(10));
    int follower = (leader + 1) % 3;
    assertRedirect(
        leader,
        assertThrows(
            StatusRuntimeException.class,
            () -> stub(follower).put(PutRequest.newBuilder().setKey(bytes("k")).setValue(bytes("v")).build())));
  }

  @Test
  void followerRedirectsReadsAtTheDefaultLevel() {
    int leader = cluster.awaitLeader(Duration.ofSeconds(10));
    int follower = (leader + 1) % 3;
    assertRedirect(
        leader,
        assertThrows(
            StatusRuntimeException.class,
            () -> stub(follower).get(GetRequest.newBuilder().setKey(bytes("k")).build())));
    assertRedirect(
        leader,
        assertThrows(
            StatusRuntimeException.class,
            () -> stub(follower).range(RangeRequest.newBuilder().setPrefix(bytes("k")).build())));
  }

  private static void assertRedirect(int leader, StatusRuntimeException e) {
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    NotLeader hint = null;
    for (Any any : details.getDetailsList()) {
      if (any.is(NotLeader.class)) {
        hint = unpack(any);
      }
    }
    assertTrue(hint != null, "NotLeader detail present");
    assertEquals(cluster.config(leader).nodeId(), hint.getLeaderId());
    assertEquals(cluster.endpoint(leader), hint.getLeaderAddress());
  }

  private static NotLeader unpack(Any any) {
    try {
      return any.unpack(NotLeader.class);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void writeOnLeaderIsReadableEverywhereWithRevisions() throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(10));
    PutResponse first = stub(leader).put(PutRequest.newBuilder().setKey(bytes("rev/a")).setValue(bytes("1")).build());
    PutResponse second = stub(leader).put(PutRequest.newBuilder().setKey(bytes("rev/a")).setValue(bytes("2")).build());
    assertEquals(first.getHeader().getRevision() + 1, second.getHeader().getRevision());
    assertTrue(second.getHeader().getRaftIndex() > first.getHeader().getRaftIndex());

    GetResponse got = stub(leader).get(GetRequest.newBuilder().setKey(bytes("rev/a")).build());
    assertEquals("2", got.getKv().getValue().toStringUtf8());
    assertEquals(first.getHeader().getRevision(), got.getKv().getCreateRevision());
    assertEquals(second.getHeader().getRevision(), got.getKv().getModRevision());
    assertEquals(2, got.getKv().getVersion());
    assertTrue(got.getHeader().getRaftIndex() >= second.getHeader().getRaftIndex());

    for (int i = 0; i < 3; i++) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      GetResponse local;
      do {
        local = stub(i).get(GetRequest.newBuilder().setKey(bytes("rev/a")).setConsistency(ReadConsistency.READ_STALE).build());
      } while (!local.getKv().getValue().toStringUtf8().equals("2") && System.nanoTime() < deadline);
      assertEquals("2", local.getKv().getValue().toStringUtf8(), "node " + i);
      assertEquals(cluster.config(i).nodeId(), local.getHeader().getNodeId());
    }
  }

  @Test
  void rangePagesByLimitAndPrefix() {
    int leader = cluster.awaitLeader(Duration.ofSeconds(10));
    for (int i = 0; i < 5; i++) {
      stub(leader).put(PutRequest.newBuilder().setKey(bytes("page/" + i)).setValue(bytes("v" + i)).build());
    }
    stub(leader).put(PutRequest.newBuilder().setKey(bytes("pagf")).setValue(bytes("outside")).build());
    RangeResponse r = stub(leader).range(RangeRequest.newBuilder().setPrefix(bytes("page/")).setLimit(3).build());
    assertEquals(3, r.getKvsCount());
    assertTrue(r.getMore());
    assertEquals("page/0", r.getKvs(0).getKey().toStringUtf8());
    RangeResponse rest =
        stub(leader).range(RangeRequest.newBuilder().setStart(bytes("page/3")).setEnd(bytes("page0")).build());
    assertEquals(2, rest.getKvsCount());
    assertFalse(rest.getMore());
  }

  private static long revision(int node) {
    return stub(node)
        .get(GetRequest.newBuilder().setKey(bytes("any")).setConsistency(ReadConsistency.READ_STALE).build())
        .getHeader()
        .getRevision();
  }

  @Test
  void badInputIsRejectedBeforeTheLog() {
    int leader = cluster.awaitLeader(Duration.ofSeconds(10));
    long revisionBefore = revision(leader);
    List<Runnable> bad =
        List.of(
            () -> stub(leader).put(PutRequest.newBuilder().setValue(bytes("v")).build()),
            () -> stub(leader).put(PutRequest.newBuilder().setKey(ByteString.copyFrom(new byte[RequestLimits.DEFAULT_MAX_KEY_BYTES + 1])).build()),
            () -> stub(leader).put(PutRequest.newBuilder().setKey(bytes("big")).setValue(ByteString.copyFrom(new byte[RequestLimits.DEFAULT_MAX_VALUE_BYTES + 1])).build()),
            () -> stub(leader).get(GetRequest.newBuilder().build()),
            () -> stub(leader).range(RangeRequest.newBuilder().setPrefix(bytes("p")).setStart(bytes("a")).build()),
            () -> stub(leader).range(RangeRequest.newBuilder().setStart(bytes("b")).setEnd(bytes("a")).build()),
            () -> stub(leader).range(RangeRequest.newBuilder().setLimit(-1).build()));
    for (Runnable r : bad) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, r::run);
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getMessage());
    }
    assertEquals(revisionBefore, revision(leader), "nothing was applied");
  }
}
