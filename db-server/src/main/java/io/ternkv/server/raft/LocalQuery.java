package io.ternkv.server.raft;

import java.util.function.Supplier;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * A read handed to Ratis in-process: Ratis decides when it may run (after ReadIndex), the state
 * machine runs the body, and the result object travels back in the reply without serialization.
 */
final class LocalQuery implements Message {
  private static final ByteString CONTENT = ByteString.copyFromUtf8("ternkv-local-query");

  private final Supplier<?> body;

  LocalQuery(Supplier<?> body) {
    this.body = body;
  }

  Result run() {
    return new Result(body.get());
  }

  @Override
  public ByteString getContent() {
    return CONTENT;
  }

  /** The value a {@link LocalQuery} or an applied command produced. */
  static final class Result implements Message {
    private final Object value;

    Result(Object value) {
      this.value = value;
    }

    Object value() {
      return value;
    }

    @Override
    public ByteString getContent() {
      return ByteString.EMPTY;
    }

    @Override
    public String toString() {
      return "Result:" + value;
    }
  }
}
