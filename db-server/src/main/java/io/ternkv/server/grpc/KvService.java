package io.ternkv.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.CompactCommand;
import io.ternkv.proto.v1.CompactRequest;
import io.ternkv.proto.v1.CompactResponse;
import io.ternkv.proto.v1.TxnDelete;
import io.ternkv.server.RevisionOutOfRangeException;
import io.ternkv.proto.raft.v1.DeleteCommand;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.proto.raft.v1.RangeRead;
import io.ternkv.proto.raft.v1.ReadCommand;
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
import io.ternkv.proto.v1.TxnRequest;
import io.ternkv.proto.v1.TxnResponse;
import io.ternkv.proto.v1.WriteConsistency;
import io.ternkv.proto.v1.WriteId;
import io.ternkv.server.InvalidRequestException;
import io.ternkv.server.UnavailableException;
import io.ternkv.server.apply.RequestLimits;
import io.ternkv.server.auth.Access;
import io.ternkv.server.auth.AuthGate;
import io.ternkv.server.auth.KeySpan;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.raft.WriteOutcome;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The client-facing {@code KV} service: validates requests, sends writes and linearizable reads
 * through Raft, serves stale reads from local state. Never blocks a gRPC thread on Raft.
 */
public final class KvService extends KVGrpc.KVImplBase {
  private final String nodeId;
  private final RaftNode raft;
  private final RequestLimits limits;
  private final VoterSync voters;
  private final VoterTerms terms;

  /** How long a voter has to tell its term before the leader confirms a read by a no-op instead. */
  private static final long TERM_ANSWER_NANOS = TimeUnit.SECONDS.toNanos(1);
  private final AuthGate auth;

  /** Default bound on waits (SESSION reads, WRITE_ALL) when the call has no deadline. */
  static final long DEFAULT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** Longest a SESSION read waits for this node to apply the client's index. */
  static final long SESSION_WAIT_MAX_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Creates the service for one node, with plaintext calls to other nodes. */
  public KvService(String nodeId, RaftNode raft, RequestLimits limits) {
    this(nodeId, raft, limits, io.ternkv.server.tls.NodeTls.NONE);
  }

  /** Creates the service for one node; calls to other nodes' client ports use {@code tls}. */
  public KvService(String nodeId, RaftNode raft, RequestLimits limits, io.ternkv.server.tls.NodeTls tls) {
    this(nodeId, raft, limits, tls, new AuthGate(raft::store, AuthGate.DEFAULT_TOKEN_TTL));
  }

  /** Creates the service for one node, checking each request's keys against {@code auth}. */
  public KvService(
      String nodeId,
      RaftNode raft,
      RequestLimits limits,
      io.ternkv.server.tls.NodeTls tls,
      AuthGate auth) {
    this.auth = auth;
    this.nodeId = nodeId;
    this.raft = raft;
    this.limits = limits;
    this.voters = new VoterSync(nodeId, raft, tls);
    this.terms = new VoterTerms(nodeId, tls, TERM_ANSWER_NANOS);
    raft.confirmReadsWith(terms);
  }

  /** The authentication state and checks this service uses. */
  AuthGate auth() {
    return auth;
  }

  /** Closes the channels to other voters. */
  public void close() {
    voters.close();
    terms.close();
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> out) {
    run(
        out,
        () -> {
          limits.checkKey("key", request.getKey().size());
          limits.checkValue(request.getValue().size());
          KeySpan span = KeySpan.key(request.getKey().toByteArray());
          auth.check(Access.WRITE, span);
          if (request.getPrevKv()) {
            auth.check(Access.READ, span);
          }
          raft.checkLeader();
          Command command =
              Command.newBuilder()
                  .setPut(
                      PutCommand.newBuilder()
                          .setKey(request.getKey())
                          .setValue(request.getValue())
                          .setLease(RequestLimits.checkLease("lease", request.getLease())))
                  .build();
          return write(command, request.hasWriteId() ? request.getWriteId() : null, request.getConsistency())
              .thenApply(
                  o -> {
                    PutResponse.Builder b = PutResponse.newBuilder().setHeader(writeHeader(o));
                    if (request.getPrevKv()) {
                      for (KvStore.Entry e : o.result().previous()) {
                        b.setPrevKv(toKeyValue(request.getKey(), e.value()));
                      }
                    }
                    return b.build();
                  });
        });
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
    run(
        out,
        () -> {
          DeleteCommand.Builder delete = DeleteCommand.newBuilder().setPrevKv(request.getPrevKv());
          if (request.getEnd().isEmpty() && request.getPrefix().isEmpty() && !request.getToEnd()) {
            limits.checkKey("key", request.getKey().size());
            delete.setKey(request.getKey());
          } else {
            delete.setRange(
                TxnRequests.deleteRange(
                    TxnDelete.newBuilder()
                        .setKey(request.getKey())
                        .setEnd(request.getEnd())
                        .setPrefix(request.getPrefix())
                        .setToEnd(request.getToEnd())
                        .build(),
                    limits,
                    "delete"));
          }
          KeySpan span = TxnRequests.span(delete.hasRange() ? delete.getRange() : null, request.getKey());
          auth.check(Access.WRITE, span);
          if (request.getPrevKv()) {
            auth.check(Access.READ, span);
          }
          raft.checkLeader();
          Command command = Command.newBuilder().setDelete(delete).build();
          return write(command, request.hasWriteId() ? request.getWriteId() : null, request.getConsistency())
              .thenApply(
                  o -> {
                    DeleteResponse.Builder b =
                        DeleteResponse.newBuilder()
                            .setHeader(writeHeader(o))
                            .setDeleted(o.result().deleted());
                    if (request.getPrevKv()) {
                      for (KvStore.Entry e : o.result().previous()) {
                        b.addPrevKvs(toKeyValue(UnsafeByteOperations.unsafeWrap(e.key()), e.value()));
                      }
                    }
                    return b.build();
                  });
        });
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> out) {
    run(
        out,
        () -> {
          limits.checkKey("key", request.getKey().size());
          byte[] key = request.getKey().toByteArray();
          auth.check(Access.READ, KeySpan.key(key));
          long revision = checkRevision(request.getRevision());
          if (request.getConsistency() == ReadConsistency.READ_LOG) {
            if (revision != 0) {
              throw new InvalidRequestException("a read at a revision cannot go through the log");
            }
            Command read =
                Command.newBuilder().setRead(ReadCommand.newBuilder().setGetKey(request.getKey())).build();
            return logRead(read)
                .thenApply(
                    o -> {
                      GetResponse.Builder b = GetResponse.newBuilder().setHeader(writeHeader(o));
                      for (KvStore.Entry e : o.result().read().entries()) {
                        b.setKv(toKeyValue(request.getKey(), e.value()));
                      }
                      return b.build();
                    });
          }
          return read(
              request.getConsistency(),
              request.getMinIndex(),
              request.getMaxStalenessMs(),
              () -> {
                KvStore.ReadView view = raft.store().view();
                GetResponse.Builder b = GetResponse.newBuilder();
                view.get(key, revision).ifPresent(v -> b.setKv(toKeyValue(request.getKey(), v)));
                return b.setHeader(readHeader(view)).build();
              },
              true);
        });
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> out) {
    run(
        out,
        () -> {
          Bounds bounds = Bounds.of(request, limits);
          auth.check(Access.READ, KeySpan.of(bounds.start(), bounds.end()));
          long limit = request.getLimit();
          if (limit < 0) {
            throw new InvalidRequestException("limit must not be negative");
          }
          int pageLimit =
              (int) (limit == 0 ? RequestLimits.MAX_RANGE_PAGE : Math.min(limit, RequestLimits.MAX_RANGE_PAGE));
          long revision = checkRevision(request.getRevision());
          if (request.getConsistency() == ReadConsistency.READ_LOG) {
            if (revision != 0) {
              throw new InvalidRequestException("a read at a revision cannot go through the log");
            }
            RangeRead.Builder r = RangeRead.newBuilder().setLimit(pageLimit);
            if (bounds.start() != null) {
              r.setStart(UnsafeByteOperations.unsafeWrap(bounds.start()));
            }
            if (bounds.end() != null) {
              r.setEnd(UnsafeByteOperations.unsafeWrap(bounds.end())).setHasEnd(true);
            }
            Command read = Command.newBuilder().setRead(ReadCommand.newBuilder().setRange(r)).build();
            return logRead(read)
                .thenApply(o -> rangeResponse(o.result().read(), writeHeader(o)));
          }
          return read(
              request.getConsistency(),
              request.getMinIndex(),
              request.getMaxStalenessMs(),
              () -> {
                KvStore.ReadView view = raft.store().view();
                KvStore.RangePage page =
                    view.range(
                        bounds.start(), bounds.end(), pageLimit, RequestLimits.MAX_RANGE_BYTES, revision);
                return rangeResponse(page, readHeader(view));
              });
        });
  }

  @Override
  public void txn(TxnRequest request, StreamObserver<TxnResponse> out) {
    run(
        out,
        () -> {
          Command command =
              Command.newBuilder().setTxn(TxnRequests.toCommand(request, limits)).build();
          TxnRequests.checkAccess(command.getTxn(), auth);
          raft.checkLeader();
          return write(
                  command,
                  request.hasWriteId() ? request.getWriteId() : null,
                  request.getConsistency())
              .thenApply(o -> TxnRequests.toResponse(o.result().txn(), writeHeader(o)));
        });
  }

  @Override
  public void compact(CompactRequest request, StreamObserver<CompactResponse> out) {
    run(
        out,
        () -> {
          if (request.getRevision() <= 0) {
            throw new InvalidRequestException("compaction revision must be positive");
          }
          auth.checkRoot("compact history");
          raft.checkLeader();
          // Whether the revision is compacted or in the future is decided by the log entry.
          Command command =
              Command.newBuilder()
                  .setCompact(CompactCommand.newBuilder().setRevision(request.getRevision()))
                  .build();
          return write(
                  command,
                  request.hasWriteId() ? request.getWriteId() : null,
                  WriteConsistency.WRITE_MAJORITY)
              .thenApply(o -> CompactResponse.newBuilder().setHeader(writeHeader(o)).build());
        });
  }

  private static long checkRevision(long revision) {
    if (revision < 0) {
      throw new InvalidRequestException("revision must not be negative");
    }
    return revision;
  }

  CompletableFuture<WriteOutcome> write(
      Command command, WriteId id, WriteConsistency consistency) {
    if (id != null && id.getClientId().size() != 16) {
      throw new InvalidRequestException("write_id.client_id must be 16 bytes");
    }
    if (consistency == WriteConsistency.UNRECOGNIZED) {
      throw new InvalidRequestException("unknown write consistency level");
    }
    long waitNanos = waitNanos();
    CompletableFuture<WriteOutcome> written =
        raft.write(
                command,
                id == null ? null : id.getClientId().toByteArray(),
                id == null ? 0 : id.getSequence())
            .thenApply(
                o -> {
                  if (o.result().refused() != null) {
                    throw o.result().refused();
                  }
                  return o;
                });
    if (consistency != WriteConsistency.WRITE_ALL) {
      return written;
    }
    return written.thenCompose(
        o -> voters.awaitAllVoters(o.logIndex(), waitNanos).thenApply(v -> o));
  }

  private CompletableFuture<WriteOutcome> logRead(Command read) {
    raft.checkLeader();
    return raft.write(read, null, 0);
  }

  private <T> CompletableFuture<T> read(
      ReadConsistency level, long minIndex, long maxStalenessMs, Supplier<T> body) {
    return read(level, minIndex, maxStalenessMs, body, false);
  }

  /** @param point a single-key read, cheap enough to run on whichever thread confirms it */
  private <T> CompletableFuture<T> read(
      ReadConsistency level, long minIndex, long maxStalenessMs, Supplier<T> body, boolean point) {
    if (minIndex < 0 || maxStalenessMs < 0) {
      throw new InvalidRequestException("min_index and max_staleness_ms must not be negative");
    }
    return switch (level) {
      case READ_CONSISTENCY_UNSPECIFIED, READ_LINEARIZABLE -> raft.readLinearizable(body, point);
      case READ_LEASE -> raft.readLease(body, point);
      case READ_SESSION -> {
        // A node that has not caught up within a second is far behind: answering UNAVAILABLE
        // then leaves the client time to ask another node within its own deadline.
        long waitNanos = Math.min(waitNanos(), SESSION_WAIT_MAX_NANOS);
        yield raft.awaitApplied(minIndex)
            .orTimeout(waitNanos, TimeUnit.NANOSECONDS)
            .handle(
                (v, error) -> {
                  if (error instanceof java.util.concurrent.CompletionException c
                      && c.getCause() instanceof io.ternkv.server.ServerBusyException busy) {
                    throw busy;
                  }
                  if (error instanceof io.ternkv.server.ServerBusyException busy) {
                    throw busy;
                  }
                  if (error != null) {
                    throw new UnavailableException(
                        "node "
                            + nodeId
                            + " has not applied index "
                            + minIndex
                            + " (it is at "
                            + raft.store().applied().index()
                            + "); try another node",
                        error);
                  }
                  return body.get();
                });
      }
      case READ_STALE -> {
        if (maxStalenessMs == 0) {
          yield CompletableFuture.completedFuture(body.get());
        }
        // A node that cannot show within the bound that it is fresh enough answers UNAVAILABLE,
        // leaving the client time to try another node.
        long waitNanos = Math.min(waitNanos(), TimeUnit.MILLISECONDS.toNanos(maxStalenessMs));
        CompletableFuture<Void> fresh = raft.awaitFresh(maxStalenessMs, waitNanos);
        if (fresh.isDone() && !fresh.isCompletedExceptionally()) {
          yield CompletableFuture.completedFuture(body.get());
        }
        yield fresh.thenApply(v -> body.get());
      }
      case READ_LOG -> throw new IllegalStateException("log reads take the write path");
      case UNRECOGNIZED -> throw new InvalidRequestException("unknown consistency level");
    };
  }

  /** Time left of the call's deadline, or the default bound. */
  private static long waitNanos() {
    Deadline deadline = Context.current().getDeadline();
    return deadline == null
        ? DEFAULT_WAIT_NANOS
        : Math.max(1, deadline.timeRemaining(TimeUnit.NANOSECONDS));
  }

  private static RangeResponse rangeResponse(KvStore.RangePage page, ResponseHeader header) {
    RangeResponse.Builder b = RangeResponse.newBuilder().setMore(page.more()).setHeader(header);
    for (KvStore.Entry e : page.entries()) {
      b.addKvs(toKeyValue(UnsafeByteOperations.unsafeWrap(e.key()), e.value()));
    }
    return b.build();
  }

  ResponseHeader writeHeader(WriteOutcome o) {
    return ResponseHeader.newBuilder()
        .setNodeId(nodeId)
        .setRevision(o.result().revision())
        .setRaftIndex(o.logIndex())
        .setRaftTerm(o.term())
        .build();
  }

  /** The position the view reflects: exactly what the data read from it shows. */
  ResponseHeader readHeader(KvStore.ReadView view) {
    AppliedState at = view.applied();
    return ResponseHeader.newBuilder()
        .setNodeId(nodeId)
        .setRevision(at.revision())
        .setRaftIndex(at.index())
        .setRaftTerm(raft.term())
        .build();
  }

  static KeyValue toKeyValue(ByteString key, StoredValue v) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(v.getValue())
        .setCreateRevision(v.getCreateRevision())
        .setModRevision(v.getModRevision())
        .setVersion(v.getVersion())
        .setLease(v.getLease())
        .build();
  }

  <T> void run(StreamObserver<T> out, Supplier<CompletableFuture<T>> call) {
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
      return of(r.getStart(), r.getEnd(), r.getPrefix(), limits);
    }

    static Bounds of(ByteString startBytes, ByteString endBytes, ByteString prefixBytes, RequestLimits limits) {
      if (!prefixBytes.isEmpty()) {
        if (!startBytes.isEmpty() || !endBytes.isEmpty()) {
          throw new InvalidRequestException("a range takes either prefix or start/end, not both");
        }
        limits.checkKey("prefix", prefixBytes.size());
        byte[] prefix = prefixBytes.toByteArray();
        return new Bounds(prefix, prefixEnd(prefix));
      }
      // A bound may be one byte longer than a key: "just after KEY" is KEY followed by 0x00
      // (a get's end, the start of the next page).
      if (startBytes.size() > limits.maxKeyBytes() + 1 || endBytes.size() > limits.maxKeyBytes() + 1) {
        throw new InvalidRequestException(
            "range bounds must be at most " + (limits.maxKeyBytes() + 1) + " bytes");
      }
      byte[] start = startBytes.isEmpty() ? null : startBytes.toByteArray();
      byte[] end = endBytes.isEmpty() ? null : endBytes.toByteArray();
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
