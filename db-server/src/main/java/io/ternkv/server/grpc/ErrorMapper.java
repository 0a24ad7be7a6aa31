package io.ternkv.server.grpc;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.ternkv.proto.v1.NotLeader;
import io.ternkv.server.FailedPreconditionException;
import io.ternkv.server.InvalidRequestException;
import io.ternkv.server.NotLeaderException;
import io.ternkv.server.RevisionOutOfRangeException;
import io.ternkv.proto.v1.RevisionOutOfRange;
import io.ternkv.server.ServerBusyException;
import io.ternkv.server.UnavailableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where server exceptions become gRPC statuses (DESIGN.md, "Errors"). */
final class ErrorMapper {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

  private ErrorMapper() {}

  static StatusRuntimeException toStatus(String nodeId, Throwable error) {
    Throwable e = unwrap(error);
    if (e instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (e instanceof InvalidRequestException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof NotLeaderException nle) {
      NotLeader detail =
          NotLeader.newBuilder()
              .setLeaderId(nle.leaderId().orElse(""))
              .setLeaderAddress(nle.leaderAddress().orElse(""))
              .build();
      com.google.rpc.Status status =
          com.google.rpc.Status.newBuilder()
              .setCode(Code.UNAVAILABLE_VALUE)
              .setMessage(nle.getMessage())
              .addDetails(Any.pack(detail))
              .build();
      return StatusProto.toStatusRuntimeException(status);
    }
    if (e instanceof RevisionOutOfRangeException r) {
      RevisionOutOfRange detail =
          RevisionOutOfRange.newBuilder()
              .setCompactRevision(r.compactRevision())
              .setCurrentRevision(r.currentRevision())
              .build();
      return StatusProto.toStatusRuntimeException(
          com.google.rpc.Status.newBuilder()
              .setCode(Code.OUT_OF_RANGE_VALUE)
              .setMessage(r.getMessage())
              .addDetails(Any.pack(detail))
              .build());
    }
    if (e instanceof UnavailableException) {
      return Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof FailedPreconditionException) {
      return Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof io.ternkv.server.UnauthenticatedException) {
      return Status.UNAUTHENTICATED.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof io.ternkv.server.PermissionDeniedException) {
      return Status.PERMISSION_DENIED.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof ServerBusyException) {
      return Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException();
    }
    LOG.error("{}: internal error", nodeId, e);
    return Status.INTERNAL
        .withDescription("internal error on node " + nodeId + ": " + e)
        .asRuntimeException();
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
