package io.ternkv.server.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.LeaseGrantCommand;
import io.ternkv.proto.raft.v1.LeaseRevokeCommand;
import io.ternkv.proto.v1.LeaseGrantRequest;
import io.ternkv.proto.v1.LeaseGrantResponse;
import io.ternkv.proto.v1.LeaseGrpc;
import io.ternkv.proto.v1.LeaseKeepAliveRequest;
import io.ternkv.proto.v1.LeaseKeepAliveResponse;
import io.ternkv.proto.v1.LeaseRevokeRequest;
import io.ternkv.proto.v1.LeaseRevokeResponse;
import io.ternkv.proto.v1.LeaseTimeToLiveRequest;
import io.ternkv.proto.v1.LeaseTimeToLiveResponse;
import io.ternkv.proto.v1.LeasesRequest;
import io.ternkv.proto.v1.LeasesResponse;
import io.ternkv.proto.v1.WriteConsistency;
import io.ternkv.server.InvalidRequestException;
import io.ternkv.server.lease.LeaseKeeper;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.storage.KvStore;
import java.util.concurrent.CompletableFuture;

/**
 * The client-facing {@code Lease} service. Grants and revocations go through the log like
 * writes; keep-alives and time-to-live are answered by the leader's {@link LeaseKeeper}.
 */
public final class LeaseService extends LeaseGrpc.LeaseImplBase {
  private final String nodeId;
  private final RaftNode raft;
  private final KvService kv;
  private final LeaseKeeper keeper;

  /** Creates the service; writes share {@code kv}'s path (exactly-once, error mapping). */
  public LeaseService(String nodeId, RaftNode raft, KvService kv, LeaseKeeper keeper) {
    this.nodeId = nodeId;
    this.raft = raft;
    this.kv = kv;
    this.keeper = keeper;
  }

  @Override
  public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> out) {
    kv.run(
        out,
        () -> {
          long ttl = request.getTtlMs();
          if (ttl < LeaseKeeper.MIN_TTL_MS || ttl > LeaseKeeper.MAX_TTL_MS) {
            throw new InvalidRequestException(
                "ttl_ms must be between "
                    + LeaseKeeper.MIN_TTL_MS
                    + " and "
                    + LeaseKeeper.MAX_TTL_MS
                    + ", not "
                    + ttl);
          }
          raft.checkLeader();
          Command grant =
              Command.newBuilder().setLeaseGrant(LeaseGrantCommand.newBuilder().setTtlMs(ttl)).build();
          return kv.write(
                  grant,
                  request.hasWriteId() ? request.getWriteId() : null,
                  WriteConsistency.WRITE_MAJORITY)
              .thenApply(
                  o -> {
                    // The id is the grant's log index: the same on every node.
                    keeper.granted(o.logIndex(), ttl);
                    return LeaseGrantResponse.newBuilder()
                        .setHeader(kv.writeHeader(o))
                        .setId(o.logIndex())
                        .setTtlMs(ttl)
                        .build();
                  });
        });
  }

  @Override
  public void leaseRevoke(LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> out) {
    kv.run(
        out,
        () -> {
          checkId(request.getId());
          raft.checkLeader();
          Command revoke =
              Command.newBuilder()
                  .setLeaseRevoke(LeaseRevokeCommand.newBuilder().setId(request.getId()))
                  .build();
          return kv.write(
                  revoke,
                  request.hasWriteId() ? request.getWriteId() : null,
                  WriteConsistency.WRITE_MAJORITY)
              .thenApply(
                  o ->
                      LeaseRevokeResponse.newBuilder()
                          .setHeader(kv.writeHeader(o))
                          .setDeleted(o.result().deleted())
                          .build());
        });
  }

  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(
      StreamObserver<LeaseKeepAliveResponse> out) {
    return new StreamObserver<>() {
      private boolean failed;

      @Override
      public void onNext(LeaseKeepAliveRequest request) {
        if (failed) {
          return;
        }
        try {
          checkId(request.getId());
          long ttl = keeper.keepAlive(request.getId());
          KvStore.ReadView view = raft.store().view();
          synchronized (out) {
            out.onNext(
                LeaseKeepAliveResponse.newBuilder()
                    .setHeader(kv.readHeader(view))
                    .setId(request.getId())
                    .setTtlMs(ttl)
                    .build());
          }
        } catch (RuntimeException e) {
          failed = true;
          synchronized (out) {
            out.onError(ErrorMapper.toStatus(nodeId, e));
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        // The client went away; nothing to clean up.
      }

      @Override
      public void onCompleted() {
        if (!failed) {
          synchronized (out) {
            out.onCompleted();
          }
        }
      }
    };
  }

  @Override
  public void leaseTimeToLive(
      LeaseTimeToLiveRequest request, StreamObserver<LeaseTimeToLiveResponse> out) {
    kv.run(
        out,
        () -> {
          checkId(request.getId());
          long remaining = keeper.remainingMs(request.getId());
          KvStore store = raft.store();
          LeaseTimeToLiveResponse.Builder b =
              LeaseTimeToLiveResponse.newBuilder()
                  .setHeader(kv.readHeader(store.view()))
                  .setId(request.getId())
                  .setTtlMs(remaining);
          store.lease(request.getId()).ifPresent(l -> b.setGrantedTtlMs(l.getTtlMs()));
          if (request.getKeys() && remaining >= 0) {
            for (byte[] key : store.leaseKeys(request.getId())) {
              // Key names are data too: listing them needs read permission on each.
              kv.auth().check(io.ternkv.server.auth.Access.READ, io.ternkv.server.auth.KeySpan.key(key));
              b.addKeys(UnsafeByteOperations.unsafeWrap(key));
            }
          }
          return CompletableFuture.completedFuture(b.build());
        });
  }

  @Override
  public void leases(LeasesRequest request, StreamObserver<LeasesResponse> out) {
    kv.run(
        out,
        () -> {
          raft.checkLeader();
          KvStore store = raft.store();
          return CompletableFuture.completedFuture(
              LeasesResponse.newBuilder()
                  .setHeader(kv.readHeader(store.view()))
                  .addAllIds(store.leaseIds())
                  .build());
        });
  }

  private static void checkId(long id) {
    if (id <= 0) {
      throw new InvalidRequestException("lease id must be positive, not " + id);
    }
  }
}
