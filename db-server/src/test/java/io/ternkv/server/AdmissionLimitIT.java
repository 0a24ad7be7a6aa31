package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.ReadConsistency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node with a tiny max-inflight-requests sheds a burst with RESOURCE_EXHAUSTED through real
 * gRPC (raw stubs: no client retries hide it), answers every call either way, and serves normally
 * once the burst is over: no place in the limit leaks.
 */
class AdmissionLimitIT {
  private static final int LIMIT = 4;
  private static final int BURST = 300;

  @Test
  void burstPastTheLimitIsShedAndTheNodeKeepsServing() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder().nodes(3).configure(b -> b.maxInflightRequests(LIMIT)).start()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      ManagedChannel channel =
          NettyChannelBuilder.forTarget(cluster.endpoint(leader)).usePlaintext().build();
      try {
        KVGrpc.KVFutureStub kv =
            KVGrpc.newFutureStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        ByteString value = ByteString.copyFrom(new byte[256]);
        List<ListenableFuture<?>> calls = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
          ByteString key = ByteString.copyFromUtf8("burst/" + i);
          calls.add(kv.put(PutRequest.newBuilder().setKey(key).setValue(value).build()));
          calls.add(
              kv.get(
                  GetRequest.newBuilder()
                      .setKey(key)
                      .setConsistency(ReadConsistency.READ_LINEARIZABLE)
                      .build()));
        }
        Map<Status.Code, Integer> outcomes = new TreeMap<>();
        for (ListenableFuture<?> call : calls) {
          Status.Code code = Status.Code.OK;
          try {
            call.get(60, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            code = Status.fromThrowable(e.getCause()).getCode();
          }
          outcomes.merge(code, 1, Integer::sum);
        }
        assertTrue(
            outcomes.getOrDefault(Status.Code.RESOURCE_EXHAUSTED, 0) > 0,
            "a burst of " + calls.size() + " calls past a limit of " + LIMIT + " sheds some: " + outcomes);
        assertTrue(outcomes.getOrDefault(Status.Code.OK, 0) > 0, "and serves some: " + outcomes);
        assertEquals(
            calls.size(),
            outcomes.getOrDefault(Status.Code.OK, 0)
                + outcomes.getOrDefault(Status.Code.RESOURCE_EXHAUSTED, 0),
            "every call is either served or shed: " + outcomes);

        // Afterwards exactly LIMIT calls at once are all served: every place was given back.
        for (int round = 0; round < 5; round++) {
          List<ListenableFuture<?>> after = new ArrayList<>();
          for (int i = 0; i < LIMIT; i++) {
            ByteString key = ByteString.copyFromUtf8("after/" + round + "/" + i);
            after.add(
                i % 2 == 0
                    ? kv.put(PutRequest.newBuilder().setKey(key).setValue(value).build())
                    : kv.get(GetRequest.newBuilder().setKey(key).build()));
          }
          for (ListenableFuture<?> call : after) {
            call.get(60, TimeUnit.SECONDS);
          }
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
