package io.ternkv.client;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.GetResponse;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.NotLeader;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.PutResponse;
import io.ternkv.proto.v1.RangeRequest;
import io.ternkv.proto.v1.RangeResponse;
import io.ternkv.proto.v1.ResponseHeader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A scripted KV node on a loopback port: records requests, answers as the test says. */
final class FakeNode implements AutoCloseable {
  final List<PutRequest> puts = new CopyOnWriteArrayList<>();
  final List<GetRequest> gets = new CopyOnWriteArrayList<>();
  final List<RangeRequest> ranges = new CopyOnWriteArrayList<>();
  /** Decides each put's answer: null means success. */
  volatile Function<PutRequest, StatusRuntimeException> putError = r -> null;
  volatile Function<GetRequest, StatusRuntimeException> getError = r -> null;
  volatile long raftIndex = 1;
  private final Server server;

  FakeNode() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new KVGrpc.KVImplBase() {
                  @Override
                  public void put(PutRequest request, StreamObserver<PutResponse> out) {
                    puts.add(request);
                    StatusRuntimeException e = putError.apply(request);
                    if (e != null) {
                      out.onError(e);
                      return;
                    }
                    out.onNext(PutResponse.newBuilder().setHeader(header()).build());
                    out.onCompleted();
                  }

                  @Override
                  public void get(GetRequest request, StreamObserver<GetResponse> out) {
                    gets.add(request);
                    StatusRuntimeException e = getError.apply(request);
                    if (e != null) {
                      out.onError(e);
                      return;
                    }
                    out.onNext(GetResponse.newBuilder().setHeader(header()).build());
                    out.onCompleted();
                  }

                  @Override
                  public void range(RangeRequest request, StreamObserver<RangeResponse> out) {
                    ranges.add(request);
                    out.onNext(RangeResponse.newBuilder().setHeader(header()).build());
                    out.onCompleted();
                  }
                })
            .build()
            .start();
  }

  ResponseHeader header() {
    return ResponseHeader.newBuilder().setNodeId("fake").setRevision(7).setRaftIndex(raftIndex).setRaftTerm(1).build();
  }

  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  static StatusRuntimeException notLeader(String leaderAddress) {
    NotLeader detail = NotLeader.newBuilder().setLeaderId("n9").setLeaderAddress(leaderAddress).build();
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(Code.UNAVAILABLE_VALUE)
            .setMessage("not the leader")
            .addDetails(Any.pack(detail))
            .build());
  }

  static StatusRuntimeException status(Status status) {
    return status.asRuntimeException();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
