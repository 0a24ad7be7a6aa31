package io.ternkv.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real Netty server with one transport thread and a direct executor: a handler that blocks must
 * not hold up the calls that run on that thread, and a moved handler that throws ends only its
 * own call.
 */
class CallOffloadTest {
  private static final MethodDescriptor.Marshaller<String> TEXT =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private static MethodDescriptor<String, String> method(String name) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Offload", name))
        .setRequestMarshaller(TEXT)
        .setResponseMarshaller(TEXT)
        .build();
  }

  private static final MethodDescriptor<String, String> WAIT = method("Wait");
  private static final MethodDescriptor<String, String> RELEASE = method("Release");
  private static final MethodDescriptor<String, String> THROW = method("Throw");
  private static final MethodDescriptor<String, String> NOT_FOUND = method("NotFound");

  private final EventLoopGroup boss = oneThread();
  private final EventLoopGroup transport = oneThread();
  private final EventLoopGroup clientLoop = oneThread();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final ExecutorService callers = Executors.newCachedThreadPool();
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    transport.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    pool.shutdownNow();
    callers.shutdownNow();
  }

  private static EventLoopGroup oneThread() {
    return new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  private void start(Set<String> inline) throws IOException {
    CountDownLatch released = new CountDownLatch(1);
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("test.Offload")
            .addMethod(
                WAIT,
                ServerCalls.asyncUnaryCall(
                    (request, out) -> {
                      boolean ok;
                      try {
                        ok = released.await(3, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        ok = false;
                      }
                      out.onNext(ok ? "released" : "never released");
                      out.onCompleted();
                    }))
            .addMethod(
                RELEASE,
                ServerCalls.asyncUnaryCall(
                    (request, out) -> {
                      released.countDown();
                      out.onNext("done");
                      out.onCompleted();
                    }))
            .addMethod(
                THROW,
                ServerCalls.asyncUnaryCall(
                    (request, out) -> {
                      throw new IllegalStateException("handler bug");
                    }))
            .addMethod(
                NOT_FOUND,
                ServerCalls.asyncUnaryCall(
                    (request, out) -> {
                      throw Status.NOT_FOUND.withDescription("no such thing").asRuntimeException();
                    }))
            .build();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(transport)
            .channelType(NioServerSocketChannel.class)
            .directExecutor()
            .intercept(new CallOffload(inline::contains, pool))
            .addService(service)
            .build()
            .start();
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .eventLoopGroup(clientLoop)
            .channelType(NioSocketChannel.class)
            .usePlaintext()
            .build();
  }

  private String call(MethodDescriptor<String, String> m) {
    return ClientCalls.blockingUnaryCall(
        channel, m, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "x");
  }

  @Test
  void aBlockingHandlerMovedToThePoolLeavesTheTransportThreadFree() throws Exception {
    start(Set.of(RELEASE.getFullMethodName()));
    Future<String> waiting = callers.submit(() -> call(WAIT));
    Thread.sleep(200); // the waiting call reaches its handler first
    assertEquals("done", call(RELEASE));
    assertEquals("released", waiting.get(10, TimeUnit.SECONDS));
  }

  /** The same calls with the blocking one left inline: the check above can fail. */
  @Test
  void aBlockingHandlerLeftInlineHoldsUpTheTransportThread() throws Exception {
    start(Set.of(WAIT.getFullMethodName(), RELEASE.getFullMethodName()));
    Future<String> waiting = callers.submit(() -> call(WAIT));
    Thread.sleep(200);
    assertEquals("done", call(RELEASE));
    assertEquals("never released", waiting.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aMovedHandlerThatThrowsEndsItsCallWithTheExceptionsStatusAndTheServerGoesOn() throws Exception {
    start(Set.of(RELEASE.getFullMethodName()));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(THROW));
    assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
    StatusRuntimeException carried = assertThrows(StatusRuntimeException.class, () -> call(NOT_FOUND));
    assertEquals(Status.Code.NOT_FOUND, carried.getStatus().getCode());
    assertEquals("no such thing", carried.getStatus().getDescription());
    assertEquals("done", call(RELEASE));
  }
}
