package io.ternkv.shell.e2e.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ternkv.proto.v1.Compare;
import io.ternkv.proto.v1.CompactRequest;
import io.ternkv.proto.v1.DeleteRequest;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.LeaseGrantRequest;
import io.ternkv.proto.v1.LeaseGrpc;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.RangeRequest;
import io.ternkv.proto.v1.TxnOp;
import io.ternkv.proto.v1.TxnPut;
import io.ternkv.proto.v1.TxnRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Malformed, oversized and hostile input against real {@code tern server} processes, sent with the
 * raw gRPC stubs (the client library would refuse most of it before sending) or as raw bytes.
 * Every request must get a clear status (most often INVALID_ARGUMENT naming the problem), leave the
 * store's revision where it was, and leave the node up and serving. Errors the nodes logged are
 * printed at the end. Watch streams that never read are {@link WatchFloodIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputIT {
  private Path dir;
  private FaultyCluster cluster;
  private ManagedChannel channel;
  private KVGrpc.KVBlockingStub kv;
  private int leader;
  private boolean allPassed = true;

  @BeforeAll
  void start() throws Exception {
    dir = Evidence.newDir("BadInputIT");
    cluster = new FaultyCluster(dir.resolve("cluster"), 3, List.of());
    cluster.startAll();
    try (io.ternkv.client.TernClient client =
        io.ternkv.client.TernClient.builder().endpoints(cluster.endpoints()).build()) {
      leader = Nemesis.awaitSoleLeader(cluster, client, Duration.ofSeconds(60));
      client.put("seed", "1");
    }
    channel = ManagedChannelBuilder.forTarget(cluster.endpoint(leader)).usePlaintext()
        .maxInboundMessageSize(16 << 20).build();
    kv = KVGrpc.newBlockingStub(channel);
  }

  @AfterAll
  void stop() throws Exception {
    try {
      List<String> errors = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        for (String line : Files.readAllLines(cluster.log(i))) {
          if (line.contains(" ERROR ")) {
            errors.add(FaultyCluster.id(i) + ": " + line);
          }
        }
      }
      errors.forEach(System.out::println);
    } finally {
      channel.shutdownNow();
      cluster.close();
      Evidence.keepOnFailure(dir, allPassed, "BadInputIT");
    }
  }

  private KVGrpc.KVBlockingStub kv() {
    return kv.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private long revision() {
    return kv().range(RangeRequest.newBuilder().setStart(bytes("seed")).build()).getHeader().getRevision();
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static ByteString bytes(int n) {
    return ByteString.copyFrom(new byte[n]);
  }

  /** The call must fail with one of {@code codes}, change nothing, and the node must still serve. */
  private void refused(String what, Set<Status.Code> codes, Supplier<?> call) {
    boolean ok = false;
    try {
      long before = revision();
      try {
        Object r = call.get();
        fail(what + ": accepted, answered " + r);
      } catch (StatusRuntimeException e) {
        assertTrue(codes.contains(e.getStatus().getCode()), what + ": " + e.getStatus());
        String description = e.getStatus().getDescription();
        assertTrue(description != null && !description.isBlank(), what + ": no description in " + e.getStatus());
        System.out.println(what + " -> " + e.getStatus().getCode() + ": " + description);
      }
      assertEquals(before, revision(), what + " changed the store");
      assertServing();
      ok = true;
    } finally {
      allPassed &= ok;
    }
  }

  private void refused(String what, Supplier<?> call) {
    refused(what, Set.of(Status.Code.INVALID_ARGUMENT), call);
  }

  private void assertServing() {
    for (int i = 0; i < 3; i++) {
      assertTrue(cluster.running(i), FaultyCluster.id(i) + " exited; log " + cluster.log(i));
    }
    long rev = kv().put(PutRequest.newBuilder().setKey(bytes("alive")).setValue(bytes("yes")).build())
        .getHeader().getRevision();
    assertTrue(rev > 0);
  }

  @Test
  void badKeysAndValues() {
    refused("put with an empty key", () -> kv().put(PutRequest.newBuilder().setValue(bytes("v")).build()));
    refused("put with a 4 KiB + 1 key", () -> kv().put(PutRequest.newBuilder().setKey(bytes(4097)).build()));
    refused("put with a 1 MiB + 1 value", () -> kv().put(PutRequest.newBuilder().setKey(bytes("k"))
        .setValue(bytes((1 << 20) + 1)).build()));
    refused("put with an 8 MiB value", Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED),
        () -> kv().put(PutRequest.newBuilder().setKey(bytes("k")).setValue(bytes(8 << 20)).build()));
    refused("get with an empty key", () -> kv().get(GetRequest.newBuilder().build()));
    refused("delete with an empty key", () -> kv().delete(DeleteRequest.newBuilder().build()));
    refused("put with a lease that does not exist", Set.of(Status.Code.FAILED_PRECONDITION),
        () -> kv().put(PutRequest.newBuilder().setKey(bytes("k")).setValue(bytes("v")).setLease(123456789).build()));
  }

  @Test
  void badRangesAndRevisions() {
    refused("range whose end is before its start", () -> kv().range(RangeRequest.newBuilder()
        .setStart(bytes("b")).setEnd(bytes("a")).build()));
    refused("range with both a prefix and a start", () -> kv().range(RangeRequest.newBuilder()
        .setStart(bytes("a")).setPrefix(bytes("a")).build()));
    refused("range with a negative limit", () -> kv().range(RangeRequest.newBuilder()
        .setStart(bytes("a")).setLimit(-1).build()));
    refused("delete range whose end is before its key", () -> kv().delete(DeleteRequest.newBuilder()
        .setKey(bytes("b")).setEnd(bytes("a")).build()));
    refused("get at a negative revision", Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.OUT_OF_RANGE),
        () -> kv().get(GetRequest.newBuilder().setKey(bytes("seed")).setRevision(-5).build()));
    refused("get at a future revision", Set.of(Status.Code.OUT_OF_RANGE),
        () -> kv().get(GetRequest.newBuilder().setKey(bytes("seed")).setRevision(1L << 40).build()));
    refused("range at a future revision", Set.of(Status.Code.OUT_OF_RANGE),
        () -> kv().range(RangeRequest.newBuilder().setStart(bytes("a")).setRevision(1L << 40).build()));
    refused("compact to a future revision", Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.OUT_OF_RANGE),
        () -> kv().compact(CompactRequest.newBuilder().setRevision(1L << 40).build()));
    refused("compact to a negative revision", Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.OUT_OF_RANGE),
        () -> kv().compact(CompactRequest.newBuilder().setRevision(-1).build()));
    refused("session read at a negative index", () -> kv().get(GetRequest.newBuilder().setKey(bytes("seed"))
        .setConsistencyValue(io.ternkv.proto.v1.ReadConsistency.READ_SESSION_VALUE).setMinIndex(-1).build()));
    refused("stale read with a negative bound", () -> kv().get(GetRequest.newBuilder().setKey(bytes("seed"))
        .setConsistencyValue(io.ternkv.proto.v1.ReadConsistency.READ_STALE_VALUE).setMaxStalenessMs(-1).build()));
  }

  @Test
  void oversizedAndMalformedTransactions() {
    TxnRequest.Builder many = TxnRequest.newBuilder();
    for (int i = 0; i < 1025; i++) {
      many.addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("t" + i)).setValue(bytes("v"))));
    }
    refused("txn with 1,025 operations", () -> kv().txn(many.build()));
    TxnRequest.Builder big = TxnRequest.newBuilder();
    for (int i = 0; i < 4; i++) {
      big.addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("big" + i)).setValue(bytes(1000 * 1000))));
    }
    refused("txn of 4 MB", Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED), () -> kv().txn(big.build()));
    refused("txn putting one key twice", () -> kv().txn(TxnRequest.newBuilder()
        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("x")).setValue(bytes("1"))))
        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("x")).setValue(bytes("2"))))
        .build()));
    refused("txn with an empty operation", () -> kv().txn(TxnRequest.newBuilder()
        .addSuccess(TxnOp.newBuilder()).build()));
    refused("txn compare with an empty key", () -> kv().txn(TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setTargetValue(Compare.Target.VERSION_VALUE))
        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("y")).setValue(bytes("1"))))
        .build()));
  }

  @Test
  void unknownEnumValues() {
    refused("get with read consistency 99", () -> kv().get(GetRequest.newBuilder().setKey(bytes("seed"))
        .setConsistencyValue(99).build()));
    refused("range with read consistency 99", () -> kv().range(RangeRequest.newBuilder().setStart(bytes("seed"))
        .setConsistencyValue(99).build()));
    refused("put with write consistency 99", () -> kv().put(PutRequest.newBuilder().setKey(bytes("k"))
        .setValue(bytes("v")).setConsistencyValue(99).build()));
    refused("txn compare target 99", () -> kv().txn(TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(bytes("seed")).setTargetValue(99))
        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("z")).setValue(bytes("1"))))
        .build()));
    refused("txn compare operator 99", () -> kv().txn(TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(bytes("seed")).setOperatorValue(99))
        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("z")).setValue(bytes("1"))))
        .build()));
    refused("lease grant with a negative TTL", () -> LeaseGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).leaseGrant(LeaseGrantRequest.newBuilder().setTtlMs(-1).build()));
  }

  @Test
  void garbageOnTheClientAndRaftPorts() throws Exception {
    boolean ok = false;
    try {
      long before = revision();
      Random random = new Random(42);
      for (int i = 0; i < 3; i++) {
        for (int round = 0; round < 5; round++) {
          byte[] junk = new byte[1 + random.nextInt(64 * 1024)];
          random.nextBytes(junk);
          sendAndClose(hostPort(cluster.endpoint(i)), junk);
          sendAndClose(cluster.raftAddress(i).toString(), junk);
        }
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        // A frame header cut short, a SETTINGS frame shorter than its length, a HEADERS frame
        // with a bogus HPACK block, each on the client port and on the Raft port.
        byte[][] frames = {
          concat(preface, new byte[] {0, 0, 6, 4}),
          concat(preface, new byte[] {0, 0x40, 0, 4, 0, 0, 0, 0, 0, 1, 2, 3}),
          concat(preface, new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 5, 1, 5, 0, 0, 0, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0}),
        };
        for (byte[] f : frames) {
          sendAndClose(hostPort(cluster.endpoint(i)), f);
          sendAndClose(cluster.raftAddress(i).toString(), f);
        }
        // Half a frame, then silence with the connection held open for a while.
        try (Socket s = new Socket(cluster.raftAddress(i).host(), cluster.raftAddress(i).port());
            Socket c = new Socket("127.0.0.1", Integer.parseInt(hostPort(cluster.endpoint(i)).split(":")[1]))) {
          s.getOutputStream().write(frames[0]);
          c.getOutputStream().write(frames[0]);
          Thread.sleep(500);
          assertServing();
        }
      }
      assertEquals(before + 3, revision(), "garbage changed the store (3 puts of ours expected)");
      ok = true;
    } finally {
      allPassed &= ok;
    }
  }

  private static String hostPort(String endpoint) {
    return endpoint;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static void sendAndClose(String hostPort, byte[] data) throws IOException {
    String[] hp = hostPort.split(":");
    try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(data);
        out.flush();
        s.shutdownOutput();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        while (in.read(buf) >= 0) {
          // drain whatever the server answers (GOAWAY) until it closes
        }
      } catch (IOException e) {
        // the server may reset the connection: that is a fine answer to garbage
      }
    }
  }

  @Test
  void thousandsOfUnaryCallsInFlightOnOneConnection() throws Exception {
    boolean ok = false;
    ManagedChannel flood = ManagedChannelBuilder.forTarget(cluster.endpoint(leader)).usePlaintext().build();
    try {
      KVGrpc.KVFutureStub stub = KVGrpc.newFutureStub(flood).withDeadlineAfter(60, TimeUnit.SECONDS);
      List<com.google.common.util.concurrent.ListenableFuture<?>> calls = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        calls.add(i % 2 == 0
            ? stub.get(GetRequest.newBuilder().setKey(bytes("seed")).build())
            : stub.put(PutRequest.newBuilder().setKey(bytes("many/" + i)).setValue(bytes("v")).build()));
      }
      int answered = 0;
      int busy = 0;
      for (var f : calls) {
        try {
          f.get(60, TimeUnit.SECONDS);
          answered++;
        } catch (java.util.concurrent.ExecutionException e) {
          Status s = Status.fromThrowable(e.getCause());
          assertTrue(s.getCode() == Status.Code.RESOURCE_EXHAUSTED || s.getCode() == Status.Code.UNAVAILABLE,
              "5,000 calls in flight: " + s);
          busy++;
        }
      }
      System.out.println("5,000 calls in flight on one connection: " + answered + " answered, " + busy + " pushed back");
      assertServing();
      ok = true;
    } finally {
      flood.shutdownNow();
      allPassed &= ok;
    }
  }

  @Test
  void requestsPastTheirDeadline() throws Exception {
    boolean ok = false;
    try {
      int answered = 0;
      int expired = 0;
      for (int i = 0; i < 200; i++) {
        try {
          kv.withDeadlineAfter(1 + i % 20, TimeUnit.MILLISECONDS).get(GetRequest.newBuilder().setKey(bytes("seed")).build());
          kv.withDeadlineAfter(1 + i % 20, TimeUnit.MILLISECONDS).put(PutRequest.newBuilder()
              .setKey(bytes("deadline/" + i)).setValue(bytes("v")).build());
          answered++;
        } catch (StatusRuntimeException e) {
          assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getStatus().toString());
          expired++;
        }
      }
      System.out.println("requests with 1-20 ms deadlines: " + answered + " answered, " + expired + " expired");
      assertServing();
      ok = true;
    } finally {
      allPassed &= ok;
    }
  }

}
