package io.ternkv.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.DeleteCommand;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.proto.raft.v1.StoredValue;
import io.ternkv.proto.v1.DeleteRequest;
import io.ternkv.proto.v1.DeleteResponse;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.GetResponse;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.KeyValue;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.PutResponse;
import io.ternkv.proto.v1.RangeRequest;
import io.ternkv.proto.v1.RangeResponse;
import io.ternkv.proto.v1.ReadConsistency;
import io.ternkv.proto.v1.ResponseHeader;
import io.ternkv.proto.v1.WriteId;
import io.ternkv.server.InvalidRequestException;
import io.ternkv.server.apply.RequestLimits;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.raft.WriteOutcome;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The client-facing {@code KV} service: validates requests, sends writes and linearizable reads
 * through Raft, serves stale reads from local state. Never blocks a gRPC thread on Raft.
 */
public final class KvService extends KVGrpc.KVImplBase {
  private final String nodeId;
  private final RaftNode raft;
  private final RequestLimits limits;

  /** Creates the service for one node. */
  public KvService(String nodeId, RaftNode raft, RequestLimits limits) {
    this.nodeId = nodeId;
    this.raft = raft;
    this.limits = limits;
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> out) {
    run(
        out,
        () -> {
          limits.checkKey("key", request.getKey().size());
          limits.checkValue(request.getValue().size());
          raft.checkLeader();
          Command command =
              Command.newBuilder()
                  .setPut(
                      PutCommand.newBuilder().setKey(request.getKey()).setValue(request.getValue()))
                  .build();
          return write(command, request.hasWriteId() ? request.getWriteId() : null)
              .thenApply(o -> PutResponse.newBuilder().setHeader(writeHeader(o)).build());
        });
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
    run(
        out,
        () -> {
          limits.checkKey("key", request.getKey().size());
          raft.checkLeader();
          Command command =
              Command.newBuilder()
                  .setDelete(DeleteCommand.newBuilder().setKey(request.getKey()))
                  .build();
          return write(command, request.hasWriteId() ? request.getWriteId() : null)
              .thenApply(
                  o ->
                      DeleteResponse.newBuilder()
                          .setHeader(writeHeader(o))
                          .setDeleted(o.result().deleted())
                          .build());
        });
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> out) {
    run(
        out,
        () -> {
          limits.checkKey("key", request.getKey().size());
          byte[] key = request.getKey().toByteArray();
          return read(
              request.getConsistency(),
              () -> {
                KvStore store = raft.store();
                GetResponse.Builder b = GetResponse.newBuilder();
                store.get(key).ifPresent(v -> b.setKv(toKeyValue(request.getKey(), v)));
                return b.setHeader(readHeader(store)).build();
              });
        });
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> out) {
    run(
        out,
        () -> {
          Bounds bounds = Bounds.of(request, limits);
          long limit = request.getLimit();
          if (limit < 0) {
            throw new InvalidRequestException("limit must not be negative");
          }
          int pageLimit =
              (int) (limit == 0 ? RequestLimits.MAX_RANGE_PAGE : Math.min(limit, RequestLimits.MAX_RANGE_PAGE));
          return read(
              request.getConsistency(),
              () -> {
                KvStore store = raft.store();
                KvStore.RangePage page =
                    store.range(bounds.start(), bounds.end(), pageLimit, RequestLimits.MAX_RANGE_BYTES);
                RangeResponse.Builder b = RangeResponse.newBuilder().setMore(page.more());
                for (KvStore.Entry e : page.entries()) {
                  b.addKvs(toKeyValue(UnsafeByteOperations.unsafeWrap(e.key()), e.value()));
                }
                return b.setHeader(readHeader(store)).build();
              });
        });
  }

  private CompletableFuture<WriteOutcome> write(Command command, WriteId id) {
    if (id != null && id.getClientId().size() != 16) {
      throw new InvalidRequestException("write_id.client_id must be 16 bytes");
    }
    return raft.write(
        command, id == null ? null : id.getClientId().toByteArray(), id == null ? 0 : id.getSequence());
  }

  private <T> CompletableFuture<T> read(ReadConsistency level, Supplier<T> body) {
    return switch (level) {
      case READ_CONSISTENCY_UNSPECIFIED, READ_LINEARIZABLE -> raft.readLinearizable(body);
      case READ_STALE -> CompletableFuture.completedFuture(body.get());
      case UNRECOGNIZED -> throw new InvalidRequestException("unknown consistency level");
    };
  }

  private ResponseHeader writeHeader(WriteOutcome o) {
    return ResponseHeader.newBuilder()
        .setNodeId(nodeId)
        .setRevision(o.result().revision())
        .setRaftIndex(o.logIndex())
        .setRaftTerm(o.term())
        .build();
  }

  /** Read after the data: the header never claims less than the data reflects. */
  private ResponseHeader readHeader(KvStore store) {
    AppliedState at = store.applied();
    return ResponseHeader.newBuilder()
        .setNodeId(nodeId)
        .setRevision(at.revision())
        .setRaftIndex(at.index())
        .setRaftTerm(raft.term())
        .build();
  }

  private static KeyValue toKeyValue(ByteString key, StoredValue v) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(v.getValue())
        .setCreateRevision(v.getCreateRevision())
        .setModRevision(v.getModRevision())
        .setVersion(v.getVersion())
        .build();
  }

  private <T> void run(StreamObserver<T> out, Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> future;
    try {
      future = call.get();
    } catch (RuntimeException e) {
      out.onError(ErrorMapper.toStatus(nodeId, e));
      return;
    }
    future.whenComplete(
        (response, error) -> {
          if (error != null) {
            out.onError(ErrorMapper.toStatus(nodeId, error));
          } else {
            out.onNext(response);
            out.onCompleted();
          }
        });
  }

  /** A validated key range: start inclusive (null = first key), end exclusive (null = no end). */
  record Bounds(byte[] start, byte[] end) {
    static Bounds of(RangeRequest r, RequestLimits limits) {
      if (!r.getPrefix().isEmpty()) {
        if (!r.getStart().isEmpty() || !r.getEnd().isEmpty()) {
          throw new InvalidRequestException("a range takes either prefix or start/end, not both");
        }
        limits.checkKey("prefix", r.getPrefix().size());
        byte[] prefix = r.getPrefix().toByteArray();
        return new Bounds(prefix, prefixEnd(prefix));
      }
      if (r.getStart().size() > limits.maxKeyBytes() || r.getEnd().size() > limits.maxKeyBytes()) {
        throw new InvalidRequestException(
            "range bounds must be at most " + limits.maxKeyBytes() + " bytes");
      }
      byte[] start = r.getStart().isEmpty() ? null : r.getStart().toByteArray();
      byte[] end = r.getEnd().isEmpty() ? null : r.getEnd().toByteArray();
      if (start != null && end != null && Arrays.compareUnsigned(end, start) <= 0) {
        throw new InvalidRequestException("range end must be greater than start");
      }
      return new Bounds(start, end);
    }

    /** The smallest key greater than every key with this prefix, or null when there is none. */
    static byte[] prefixEnd(byte[] prefix) {
      for (int i = prefix.length - 1; i >= 0; i--) {
        if (prefix[i] != (byte) 0xFF) {
          byte[] end = Arrays.copyOf(prefix, i + 1);
          end[i]++;
          return end;
        }
      }
      return null;
    }
  }
}
