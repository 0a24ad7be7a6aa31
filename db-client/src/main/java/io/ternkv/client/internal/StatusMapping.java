package io.ternkv.client.internal;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.InvalidArgumentException;
import io.ternkv.client.NotLeaderException;
import io.ternkv.client.ResourceExhaustedException;
import io.ternkv.client.TernException;
import io.ternkv.client.UnavailableException;
import io.ternkv.proto.v1.NotLeader;
import io.ternkv.proto.v1.RevisionOutOfRange;
import io.ternkv.client.RevisionOutOfRangeException;

/** The one place where a gRPC status becomes a {@link TernException}. */
public final class StatusMapping {
  private StatusMapping() {}

  /** Maps a failed call's error, naming the address it was sent to. */
  public static TernException toException(Throwable error, String address) {
    if (error instanceof TernException t) {
      return t;
    }
    Status status = Status.fromThrowable(error);
    String message =
        address
            + ": "
            + status.getCode()
            + (status.getDescription() == null ? "" : " " + status.getDescription());
    return switch (status.getCode()) {
      case INVALID_ARGUMENT -> new InvalidArgumentException(status.getDescription(), error);
      case UNAVAILABLE -> {
        NotLeader hint = notLeader(error);
        if (hint != null) {
          yield new NotLeaderException(
              message,
              hint.getLeaderId().isEmpty() ? null : hint.getLeaderId(),
              hint.getLeaderAddress().isEmpty() ? null : hint.getLeaderAddress());
        }
        yield new UnavailableException(message, error);
      }
      case RESOURCE_EXHAUSTED -> {
        // gRPC's own size check refuses a request larger than the node accepts: retrying the
        // same bytes cannot help, so it is bad input, not overload.
        String d = status.getDescription();
        if (d != null && d.contains("exceeds maximum size")) {
          yield new InvalidArgumentException("request too large for " + address + ": " + d, error);
        }
        yield new ResourceExhaustedException(message, error);
      }
      case DEADLINE_EXCEEDED -> new TernException(ErrorCode.TIMEOUT, message, error);
      case FAILED_PRECONDITION -> new TernException(ErrorCode.FAILED_PRECONDITION, message, error);
      case OUT_OF_RANGE -> {
        RevisionOutOfRange range = detail(error, RevisionOutOfRange.class);
        yield range == null
            ? new TernException(ErrorCode.OUT_OF_RANGE, message, error)
            : new RevisionOutOfRangeException(
                message, range.getCompactRevision(), range.getCurrentRevision(), error);
      }
      case UNAUTHENTICATED -> new io.ternkv.client.AuthenticationException(message, error);
      case PERMISSION_DENIED -> new io.ternkv.client.PermissionDeniedException(message, error);
      case DATA_LOSS -> new TernException(ErrorCode.DATA_LOSS, message, error);
      case CANCELLED -> new TernException(ErrorCode.CANCELLED, message, error);
      // gRPC reports a connection that closed while a call was being sent (the node died) as
      // UNKNOWN "channel closed"; like any lost connection it is worth another node.
      case UNKNOWN -> connectionLost(error)
          ? new UnavailableException(message + " (connection lost)", error)
          : new TernException(ErrorCode.INTERNAL, message, error);
      default -> new TernException(ErrorCode.INTERNAL, message, error);
    };
  }

  private static boolean connectionLost(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof java.nio.channels.ClosedChannelException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static NotLeader notLeader(Throwable error) {
    return detail(error, NotLeader.class);
  }

  private static <T extends com.google.protobuf.Message> T detail(Throwable error, Class<T> type) {
    if (!(error instanceof StatusRuntimeException)) {
      return null;
    }
    com.google.rpc.Status details = StatusProto.fromThrowable(error);
    if (details == null) {
      return null;
    }
    for (Any any : details.getDetailsList()) {
      if (any.is(type)) {
        try {
          return any.unpack(type);
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
  }
}
