package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.server.raft.NodeStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The standard gRPC health service and server reflection on a node's client port, against real
 * in-process clusters.
 */
class HealthAndReflectionIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private LocalCluster cluster;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (cluster != null) {
      cluster.close();
    }
  }

  private LocalCluster cluster() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    return cluster;
  }

  private ManagedChannel channel(int i) {
    ManagedChannel c = NettyChannelBuilder.forTarget(cluster.endpoint(i)).usePlaintext().build();
    channels.add(c);
    return c;
  }

  private static ServingStatus health(ManagedChannel channel, String service) {
    return HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  /** Polls until {@code service} reports {@code expected}; fails after {@link #WAIT}. */
  private static void awaitHealth(ManagedChannel channel, String service, ServingStatus expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    ServingStatus last = null;
    while (System.nanoTime() < deadline) {
      last = health(channel, service);
      if (last == expected) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(
        "'" + service + "' stayed " + last + " for " + WAIT + ", expected " + expected);
  }

  @Test
  void everyNodeOfAHealthyClusterIsServing() throws Exception {
    cluster();
    for (int i = 0; i < 3; i++) {
      ManagedChannel c = channel(i);
      awaitHealth(c, "", ServingStatus.SERVING);
      awaitHealth(c, KVGrpc.SERVICE_NAME, ServingStatus.SERVING);
      assertEquals(ServingStatus.SERVING, health(c, "ternkv.v1.Lease"));
      assertEquals(ServingStatus.SERVING, health(c, "ternkv.v1.Cluster"));
    }
  }

  @Test
  void followerWhoseLeaderAndPeerStoppedIsNotServing() throws Exception {
    cluster();
    int leader = cluster.awaitLeader(Duration.ofSeconds(10));
    int survivor = (leader + 1) % 3;
    ManagedChannel c = channel(survivor);
    awaitHealth(c, "", ServingStatus.SERVING);

    cluster.stopNode(leader);
    cluster.stopNode((leader + 2) % 3);

    awaitHealth(c, "", ServingStatus.NOT_SERVING);
    assertEquals(ServingStatus.NOT_SERVING, health(c, KVGrpc.SERVICE_NAME));
    assertEquals(
        ServingStatus.SERVING,
        health(c, "ternkv.v1.Cluster"),
        "Cluster answers from local state and stays up");
    assertTrue(cluster.node(survivor).status().leaderId() == null);
  }

  @Test
  void followerThatFallsBehindItsLogIsNotServingUntilItCatchesUp() throws Exception {
    cluster();
    int leader = cluster.awaitLeader(Duration.ofSeconds(10));
    int follower = (leader + 1) % 3;
    ManagedChannel c = channel(follower);
    awaitHealth(c, "", ServingStatus.SERVING);

    cluster.node(follower).holdApply();
    try {
      KVGrpc.KVBlockingStub kv =
          KVGrpc.newBlockingStub(channel(leader)).withDeadlineAfter(10, TimeUnit.SECONDS);
      for (int i = 0; i < 5; i++) {
        kv.put(
            PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("health/" + i))
                .setValue(ByteString.copyFromUtf8("v"))
                .build());
      }
      awaitHealth(c, "", ServingStatus.NOT_SERVING);
      NodeStatus behind = cluster.node(follower).status();
      assertTrue(
          behind.appliedIndex() < behind.commitIndex(),
          "held follower applied " + behind.appliedIndex() + " of " + behind.commitIndex());
      assertTrue(behind.leaderId() != null, "the follower still knows its leader");
    } finally {
      cluster.node(follower).releaseApply();
    }
    awaitHealth(c, "", ServingStatus.SERVING);
  }

  @Test
  void reflectionListsOurServicesAndDescribesThem() throws Exception {
    cluster();
    ManagedChannel c = channel(0);
    List<String> names =
        reflect(c, ServerReflectionRequest.newBuilder().setListServices("").build())
            .getListServicesResponse()
            .getServiceList()
            .stream()
            .map(ServiceResponse::getName)
            .toList();
    assertTrue(
        names.containsAll(
            List.of(
                "ternkv.v1.KV",
                "ternkv.v1.Cluster",
                "ternkv.v1.Lease",
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection")),
        names.toString());

    ServerReflectionResponse file =
        reflect(c, ServerReflectionRequest.newBuilder().setFileContainingSymbol("ternkv.v1.KV").build());
    assertFalse(
        file.getFileDescriptorResponse().getFileDescriptorProtoList().isEmpty(),
        "grpcurl describe needs the descriptor: " + file);
  }

  private static ServerReflectionResponse reflect(ManagedChannel c, ServerReflectionRequest request)
      throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(c)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse value) {
                    answer.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    answer.completeExceptionally(new AssertionError("no reflection response"));
                  }
                });
    requests.onNext(request);
    requests.onCompleted();
    return answer.get(15, TimeUnit.SECONDS);
  }
}
