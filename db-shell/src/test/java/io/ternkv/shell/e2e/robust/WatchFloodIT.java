package io.ternkv.shell.e2e.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.ternkv.client.KeyValue;
import io.ternkv.client.TernClient;
import io.ternkv.client.WatchEvent;
import io.ternkv.client.WatchListener;
import io.ternkv.client.WatchOptions;
import io.ternkv.proto.v1.WatchCreateRequest;
import io.ternkv.proto.v1.WatchGrpc;
import io.ternkv.proto.v1.WatchRequest;
import io.ternkv.proto.v1.WatchResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A client that opens 2,000 watch streams on one connection and never reads any of them, while
 * 1 MiB values are written under the watched prefix. The node must stay up, keep accepting
 * writes, and keep serving a watcher that does read. db-server/DESIGN.md promises that a stuck
 * watcher costs at most one response (about 1 MiB) of memory; nothing bounds how many stuck
 * watchers there may be, so today the leader runs out of direct memory (OutOfMemoryError in
 * WatchService.pump) and resets its client connections.
 */
class WatchFloodIT {
  @Test
  void twoThousandWatchStreamsThatNeverReadDoNotTakeTheNodeDown() throws Exception {
    Path dir = Evidence.newDir("WatchFloodIT");
    boolean passed = false;
    try (FaultyCluster c = new FaultyCluster(dir.resolve("cluster"), 3, List.of());
        TernClient client =
            TernClient.builder().endpoints(c.endpoints()).requestTimeout(Duration.ofSeconds(10)).build()) {
      c.startAll();
      int leader = Nemesis.awaitSoleLeader(c, client, Duration.ofSeconds(60));
      AtomicInteger seen = new AtomicInteger();
      try (var reading = client.watch(WatchOptions.range(io.ternkv.client.KeyRange.prefix("flood/")),
          new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
              seen.addAndGet(events.size());
            }

            @Override
            public void onCancelled(io.ternkv.client.TernException reason) {}
          })) {
        ManagedChannel flood = ManagedChannelBuilder.forTarget(c.endpoint(leader)).usePlaintext().build();
        List<ClientCall<WatchRequest, WatchResponse>> calls = new ArrayList<>();
        try {
          for (int i = 0; i < 2000; i++) {
            ClientCall<WatchRequest, WatchResponse> call = flood.newCall(WatchGrpc.getWatchMethod(), CallOptions.DEFAULT);
            call.start(new ClientCall.Listener<>() {}, new Metadata()); // never request(n): never reads
            call.sendMessage(WatchRequest.newBuilder().setCreate(WatchCreateRequest.newBuilder()
                .setPrefix(ByteString.copyFromUtf8("flood/"))).build());
            calls.add(call);
          }
          byte[] value = new byte[1 << 20];
          List<String> failed = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            try {
              client.put(("flood/" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8), value);
            } catch (RuntimeException e) {
              failed.add("put " + i + ": " + e);
            }
          }
          for (int i = 0; i < 3; i++) {
            assertTrue(c.running(i), FaultyCluster.id(i) + " exited");
          }
          assertEquals(List.of(), failed, "writes failed while watch streams were stuck; logs in " + c.dir());
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (seen.get() < 8 && System.nanoTime() < deadline) {
            Thread.sleep(100);
          }
          assertEquals(8, seen.get(), "events delivered to the watcher that reads (" + reading + ")");
        } finally {
          calls.forEach(call -> call.cancel("done", null));
          flood.shutdownNow();
        }
      }
      assertTrue(client.get("flood/7").map(KeyValue::valueSize).orElse(0) == 1 << 20);
      for (int i = 0; i < 3; i++) {
        String log = Files.readString(c.log(i));
        assertTrue(!log.contains("OutOfMemoryError"), FaultyCluster.id(i) + " ran out of memory: " + c.log(i));
      }
      passed = true;
    } catch (StatusRuntimeException e) {
      throw new AssertionError(e);
    } finally {
      Evidence.keepOnFailure(dir, passed, "WatchFloodIT");
    }
  }
}
