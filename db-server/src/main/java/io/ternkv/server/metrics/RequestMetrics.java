package io.ternkv.server.metrics;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Times every gRPC call from its start to its close, by method and status code ({@value
 * #REQUESTS}), and again by consistency level for calls whose request has a {@code consistency}
 * field ({@value #BY_CONSISTENCY}: reads by {@code ReadConsistency}, writes by {@code
 * WriteConsistency}). The level is read from the request message itself, so handlers need no
 * change and a new RPC with such a field is measured by level too.
 *
 * <p>Threading: thread-safe; one instance serves every call.
 */
final class RequestMetrics implements ServerInterceptor {
  static final String REQUESTS = "tern.grpc.requests";
  static final String BY_CONSISTENCY = "tern.kv.requests";

  /** Histogram buckets for a call: a local read takes about 200 µs, a write a few ms. */
  static final Duration[] BUCKETS = {
    Duration.ofNanos(100_000),
    Duration.ofNanos(250_000),
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofNanos(2_500_000),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  /** What an unset (0) level means, per enum: the proto documents the default. */
  private static final Map<String, String> UNSPECIFIED_MEANS =
      Map.of("ternkv.v1.ReadConsistency", "linearizable", "ternkv.v1.WriteConsistency", "majority");

  private final MeterRegistry registry;
  private final Map<Descriptor, Optional<FieldDescriptor>> consistencyFields =
      new ConcurrentHashMap<>();

  RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    Measured<Q, A> measured = new Measured<>(call, System.nanoTime());
    return new SimpleForwardingServerCallListener<>(next.startCall(measured, headers)) {
      @Override
      public void onMessage(Q message) {
        if (measured.consistency == null) {
          measured.consistency = consistencyOf(message);
        }
        super.onMessage(message);
      }

      @Override
      public void onCancel() {
        measured.record(Status.Code.CANCELLED);
        super.onCancel();
      }
    };
  }

  /**
   * The request's consistency level as a tag value ({@code linearizable}, {@code stale}, {@code
   * majority}...), {@code unknown} for a number the enum does not define, or null when the
   * request has no such field.
   */
  String consistencyOf(Object message) {
    if (!(message instanceof Message m)) {
      return null;
    }
    Optional<FieldDescriptor> field =
        consistencyFields.computeIfAbsent(
            m.getDescriptorForType(),
            d ->
                Optional.ofNullable(d.findFieldByName("consistency"))
                    .filter(f -> f.getJavaType() == FieldDescriptor.JavaType.ENUM && !f.isRepeated()));
    if (field.isEmpty()) {
      return null;
    }
    EnumValueDescriptor value = (EnumValueDescriptor) m.getField(field.get());
    if (value.getType().findValueByNumber(value.getNumber()) == null) {
      return "unknown";
    }
    if (value.getNumber() == 0) {
      return UNSPECIFIED_MEANS.getOrDefault(value.getType().getFullName(), "unspecified");
    }
    String name = value.getName().toLowerCase(Locale.ROOT);
    return name.startsWith("read_") || name.startsWith("write_") ? name.substring(name.indexOf('_') + 1) : name;
  }

  private final class Measured<Q, A> extends SimpleForwardingServerCall<Q, A> {
    private final long startNanos;
    private final AtomicBoolean recorded = new AtomicBoolean();
    /** Set by the first request message, on the call's serialized listener thread. */
    volatile String consistency;

    Measured(ServerCall<Q, A> call, long startNanos) {
      super(call);
      this.startNanos = startNanos;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      record(status.getCode());
      super.close(status, trailers);
    }

    void record(Status.Code code) {
      if (!recorded.compareAndSet(false, true)) {
        return;
      }
      long nanos = System.nanoTime() - startNanos;
      String method = getMethodDescriptor().getFullMethodName();
      Timer.builder(REQUESTS)
          .description("gRPC calls served, from start to close, by method and status code")
          .tags("method", method, "code", code.name())
          .serviceLevelObjectives(BUCKETS)
          .register(registry)
          .record(nanos, TimeUnit.NANOSECONDS);
      String level = consistency;
      if (level != null) {
        Timer.builder(BY_CONSISTENCY)
            .description("KV calls served, by method, consistency level and status code")
            .tags("method", method, "consistency", level, "code", code.name())
            .serviceLevelObjectives(BUCKETS)
            .register(registry)
            .record(nanos, TimeUnit.NANOSECONDS);
      }
    }
  }
}
