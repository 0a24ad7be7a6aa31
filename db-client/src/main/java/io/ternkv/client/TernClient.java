package io.ternkv.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.ternkv.client.internal.Caller;
import io.ternkv.proto.v1.AddMemberRequest;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.CompactRequest;
import io.ternkv.proto.v1.DeleteRequest;
import io.ternkv.proto.v1.DeleteResponse;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.GetResponse;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.LeaseGrantRequest;
import io.ternkv.proto.v1.LeaseGrpc;
import io.ternkv.proto.v1.LeaseKeepAliveRequest;
import io.ternkv.proto.v1.LeaseRevokeRequest;
import io.ternkv.proto.v1.LeaseTimeToLiveRequest;
import io.ternkv.proto.v1.LeasesRequest;
import io.ternkv.proto.v1.MembersRequest;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.RangeRequest;
import io.ternkv.proto.v1.RangeResponse;
import io.ternkv.proto.v1.RemoveMemberRequest;
import io.ternkv.proto.v1.StatusRequest;
import io.ternkv.proto.v1.StatusResponse;
import io.ternkv.proto.v1.TransferLeaderRequest;
import io.ternkv.proto.v1.WriteId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The TernKV client: one instance per application, shared by all its threads.
 *
 * <p>Built with {@link #builder()}. It finds the leader among the endpoints, follows redirects,
 * and retries retriable errors (no leader, leader changed, node overloaded) with backoff until the
 * request timeout; a retried write carries the same write id, so the cluster applies it once.
 * Errors are unchecked {@link TernException}s.
 *
 * <p>Every operation has an asynchronous form returning a {@link CompletableFuture} (the real
 * implementation; futures complete on client threads, so do not block in their callbacks) and a
 * blocking form that waits and rethrows the {@link TernException}.
 *
 * <p>The client remembers the highest Raft log index it has seen in any answer; SESSION reads
 * wait for a node to have applied it, which gives read-your-writes and monotonic reads.
 *
 * <p>Threading: immutable configuration, thread-safe, {@link AutoCloseable}.
 */
public final class TernClient implements AutoCloseable {
  /** Keep-alives running on this client's timer, told when the client closes. */
  private final java.util.Set<KeepAlive> keepAlives =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Request timeout by default, covering every retry of one call. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** First retry pause by default. */
  public static final Duration DEFAULT_BACKOFF_MIN = Duration.ofMillis(20);

  /** Longest retry pause by default. */
  public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofMillis(500);

  private final Caller caller;
  private final AuthAdmin auth;
  private final byte[] clientId;
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong lastSeenIndex = new AtomicLong();

  private TernClient(Builder b) {
    this.caller =
        new Caller(
            b.endpoints,
            b.requestTimeout,
            b.backoffMin,
            b.backoffMax,
            b.tls,
            b.user == null ? null : new io.ternkv.client.internal.Credentials(b.user, b.password));
    this.auth = new AuthAdmin(caller);
    UUID id = UUID.randomUUID();
    this.clientId =
        ByteBuffer.allocate(16)
            .putLong(id.getMostSignificantBits())
            .putLong(id.getLeastSignificantBits())
            .array();
  }

  /**
   * Administration of users, roles and the authentication switch (see {@link AuthAdmin}). The
   * same object on every call; thread-safe.
   */
  public AuthAdmin auth() {
    return auth;
  }

  /** A builder with the defaults; {@link Builder#endpoints} must be set. */
  public static Builder builder() {
    return new Builder();
  }

  // ---- put

  /**
   * Stores {@code value} under {@code key}, acknowledged once durable on a majority.
   *
   * @return a future failing with {@link InvalidArgumentException} for a bad key or value, {@link
   *     RequestTimeoutException} when no leader accepted it in time (it may still have been
   *     applied)
   */
  public CompletableFuture<WriteResult> putAsync(byte[] key, byte[] value) {
    return putAsync(key, value, WriteConsistency.MAJORITY);
  }

  /** Like {@link #putAsync(byte[], byte[])}, acknowledged at the given level. */
  public CompletableFuture<WriteResult> putAsync(byte[] key, byte[] value, WriteConsistency consistency) {
    return putAsync(key, value, 0, consistency);
  }

  /**
   * Like {@link #putAsync(byte[], byte[])}, attaching the key to a lease: the key is deleted when
   * the lease expires or is revoked.
   *
   * @param lease a lease id from {@link #leaseGrant}; 0 for none
   * @return a future failing with a {@link TernException} of code {@link
   *     ErrorCode#FAILED_PRECONDITION} when the lease does not exist
   */
  public CompletableFuture<WriteResult> putAsync(
      byte[] key, byte[] value, long lease, WriteConsistency consistency) {
    return putAsync(key, value, PutOptions.defaults().withLease(lease).withConsistency(consistency));
  }

  /**
   * Like {@link #putAsync(byte[], byte[])} with options: a lease, the acknowledgement level, and
   * whether to return the replaced version ({@link WriteResult#previous()}).
   *
   * @return a future failing like {@link #putAsync(byte[], byte[], long, WriteConsistency)}
   */
  public CompletableFuture<WriteResult> putAsync(byte[] key, byte[] value, PutOptions options) {
    PutRequest request =
        PutRequest.newBuilder()
            .setKey(bytes(key, "key"))
            .setValue(bytes(value, "value"))
            .setWriteId(nextWriteId())
            .setConsistency(Wire.write(options.consistency()))
            .setLease(options.lease())
            .setPrevKv(options.returnPrevious())
            .build();
    return caller
        .call(KVGrpc.getPutMethod(), request)
        .thenApply(
            r ->
                new WriteResult(
                    seen(r.getHeader()),
                    r.hasPrevKv() ? Optional.of(Wire.keyValue(r.getPrevKv())) : Optional.empty()));
  }

  /** Blocking {@link #putAsync(byte[], byte[], PutOptions)}. */
  public WriteResult put(byte[] key, byte[] value, PutOptions options) {
    return await(putAsync(key, value, options));
  }

  /** Blocking {@link #putAsync(byte[], byte[])}. */
  public WriteResult put(byte[] key, byte[] value) {
    return await(putAsync(key, value));
  }

  /** Blocking {@link #putAsync(byte[], byte[], WriteConsistency)}. */
  public WriteResult put(byte[] key, byte[] value, WriteConsistency consistency) {
    return await(putAsync(key, value, consistency));
  }

  /** Blocking put attached to a lease; see {@link #putAsync(byte[], byte[], long, WriteConsistency)}. */
  public WriteResult put(byte[] key, byte[] value, long lease) {
    return await(putAsync(key, value, lease, WriteConsistency.MAJORITY));
  }

  /** Blocking put of UTF-8 strings. */
  public WriteResult put(String key, String value) {
    return put(utf8(key), utf8(value));
  }

  // ---- get

  /**
   * Reads one key.
   *
   * @return a future of the key's value, or empty when the key does not exist; failing with
   *     {@link InvalidArgumentException} for a bad key, {@link RevisionOutOfRangeException} for a
   *     {@link ReadOptions#revision()} compacted or not yet reached, {@link
   *     RequestTimeoutException} when no node could answer in time
   */
  public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key, ReadOptions options) {
    GetRequest request =
        GetRequest.newBuilder()
            .setKey(bytes(key, "key"))
            .setConsistency(Wire.read(options.consistency()))
            .setMinIndex(options.consistency() == ReadConsistency.SESSION ? lastSeenIndex.get() : 0)
            .setMaxStalenessMs(options.maxStaleness().toMillis())
            .setRevision(options.revision())
            .build();
    return caller
        .call(KVGrpc.getGetMethod(), request)
        .thenApply(
            (GetResponse r) -> {
              seen(r.getHeader());
              return r.hasKv() ? Optional.of(Wire.keyValue(r.getKv())) : Optional.empty();
            });
  }

  /** {@link #getAsync(byte[], ReadOptions)} at a level, with no staleness bound. */
  public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key, ReadConsistency consistency) {
    return getAsync(key, ReadOptions.of(consistency));
  }

  /** Blocking linearizable read. */
  public Optional<KeyValue> get(byte[] key) {
    return get(key, ReadConsistency.LINEARIZABLE);
  }

  /** Blocking read at a level. */
  public Optional<KeyValue> get(byte[] key, ReadConsistency consistency) {
    return await(getAsync(key, consistency));
  }

  /** Blocking read with options. */
  public Optional<KeyValue> get(byte[] key, ReadOptions options) {
    return await(getAsync(key, options));
  }

  /** Blocking linearizable read of a UTF-8 key. */
  public Optional<KeyValue> get(String key) {
    return get(utf8(key));
  }

  /** Blocking read of a UTF-8 key at a level. */
  public Optional<KeyValue> get(String key, ReadConsistency consistency) {
    return get(utf8(key), consistency);
  }

  // ---- delete

  /**
   * Deletes one key; deleting a missing key succeeds with {@code deleted() == 0}.
   *
   * @return a future failing like {@link #putAsync(byte[], byte[])}
   */
  public CompletableFuture<DeleteResult> deleteAsync(byte[] key) {
    return deleteAsync(key, WriteConsistency.MAJORITY);
  }

  /** Like {@link #deleteAsync(byte[])}, acknowledged at the given level. */
  public CompletableFuture<DeleteResult> deleteAsync(byte[] key, WriteConsistency consistency) {
    return deleteAsync(key, consistency, false);
  }

  /**
   * Like {@link #deleteAsync(byte[], WriteConsistency)}; with {@code returnPrevious} the answer
   * carries the deleted version ({@link DeleteResult#previous()}).
   */
  public CompletableFuture<DeleteResult> deleteAsync(
      byte[] key, WriteConsistency consistency, boolean returnPrevious) {
    DeleteRequest request =
        DeleteRequest.newBuilder()
            .setKey(bytes(key, "key"))
            .setWriteId(nextWriteId())
            .setConsistency(Wire.write(consistency))
            .setPrevKv(returnPrevious)
            .build();
    return caller.call(KVGrpc.getDeleteMethod(), request).thenApply(this::deleteResult);
  }

  /**
   * Deletes every key in a range (or with a prefix, or every key) at one revision, acknowledged
   * at the given level.
   *
   * @param returnPrevious whether the answer carries every deleted version (they all travel in
   *     one response: mind large ranges)
   * @return a future of how many keys were deleted; failing like {@link #putAsync(byte[],
   *     byte[])}
   */
  public CompletableFuture<DeleteResult> deleteRangeAsync(
      KeyRange range, WriteConsistency consistency, boolean returnPrevious) {
    Objects.requireNonNull(range, "range");
    DeleteRequest.Builder request =
        DeleteRequest.newBuilder()
            .setWriteId(nextWriteId())
            .setConsistency(Wire.write(consistency))
            .setPrevKv(returnPrevious);
    if (range.prefixRef().length > 0) {
      request.setPrefix(ByteString.copyFrom(range.prefixRef()));
    } else if (range.endRef().length > 0) {
      request.setKey(ByteString.copyFrom(range.startRef())).setEnd(ByteString.copyFrom(range.endRef()));
    } else {
      request.setKey(ByteString.copyFrom(range.startRef())).setToEnd(true);
    }
    return caller.call(KVGrpc.getDeleteMethod(), request.build()).thenApply(this::deleteResult);
  }

  /** Blocking {@link #deleteRangeAsync}, acknowledged on a majority, without previous versions. */
  public DeleteResult deleteRange(KeyRange range) {
    return await(deleteRangeAsync(range, WriteConsistency.MAJORITY, false));
  }

  /** Blocking {@link #deleteRangeAsync}, acknowledged on a majority. */
  public DeleteResult deleteRange(KeyRange range, boolean returnPrevious) {
    return await(deleteRangeAsync(range, WriteConsistency.MAJORITY, returnPrevious));
  }

  private DeleteResult deleteResult(DeleteResponse r) {
    List<KeyValue> previous = new ArrayList<>(r.getPrevKvsCount());
    r.getPrevKvsList().forEach(kv -> previous.add(Wire.keyValue(kv)));
    return new DeleteResult(r.getDeleted(), seen(r.getHeader()), previous);
  }

  /** Blocking {@link #deleteAsync(byte[], WriteConsistency)}. */
  public DeleteResult delete(byte[] key, WriteConsistency consistency) {
    return await(deleteAsync(key, consistency));
  }

  /** Blocking {@link #deleteAsync(byte[], WriteConsistency, boolean)}. */
  public DeleteResult delete(byte[] key, WriteConsistency consistency, boolean returnPrevious) {
    return await(deleteAsync(key, consistency, returnPrevious));
  }

  /** Blocking {@link #deleteAsync(byte[])}. */
  public DeleteResult delete(byte[] key) {
    return await(deleteAsync(key));
  }

  /** Blocking delete of a UTF-8 key. */
  public DeleteResult delete(String key) {
    return delete(utf8(key));
  }

  // ---- range

  /**
   * Reads one page of keys in order.
   *
   * @param limit at most this many keys; 0 means the server's page limit (10,000). When {@link
   *     RangeResult#more()} is true, continue from the last key plus a zero byte.
   * @return a future failing with {@link InvalidArgumentException} for a malformed range
   */
  public CompletableFuture<RangeResult> rangeAsync(KeyRange range, int limit, ReadOptions options) {
    Objects.requireNonNull(range, "range");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative");
    }
    RangeRequest request =
        RangeRequest.newBuilder()
            .setStart(ByteString.copyFrom(range.startRef()))
            .setEnd(ByteString.copyFrom(range.endRef()))
            .setPrefix(ByteString.copyFrom(range.prefixRef()))
            .setLimit(limit)
            .setConsistency(Wire.read(options.consistency()))
            .setMinIndex(options.consistency() == ReadConsistency.SESSION ? lastSeenIndex.get() : 0)
            .setMaxStalenessMs(options.maxStaleness().toMillis())
            .setRevision(options.revision())
            .build();
    return caller
        .call(KVGrpc.getRangeMethod(), request)
        .thenApply(
            (RangeResponse r) -> {
              List<KeyValue> kvs = new ArrayList<>(r.getKvsCount());
              r.getKvsList().forEach(kv -> kvs.add(Wire.keyValue(kv)));
              return new RangeResult(kvs, r.getMore(), seen(r.getHeader()));
            });
  }

  /** {@link #rangeAsync(KeyRange, int, ReadOptions)} at a level. */
  public CompletableFuture<RangeResult> rangeAsync(KeyRange range, int limit, ReadConsistency consistency) {
    return rangeAsync(range, limit, ReadOptions.of(consistency));
  }

  /** Blocking linearizable range read. */
  public RangeResult range(KeyRange range, int limit) {
    return range(range, limit, ReadConsistency.LINEARIZABLE);
  }

  /** Blocking range read at a level. */
  public RangeResult range(KeyRange range, int limit, ReadConsistency consistency) {
    return await(rangeAsync(range, limit, consistency));
  }

  /** Blocking range read with options. */
  public RangeResult range(KeyRange range, int limit, ReadOptions options) {
    return await(rangeAsync(range, limit, options));
  }

  // ---- history

  /**
   * Drops history below {@code revision} on every node: reads and watches at older revisions fail
   * from then on with {@link RevisionOutOfRangeException}; the space is reclaimed in the
   * background. The current data is untouched.
   *
   * @return a future failing with {@link RevisionOutOfRangeException} when the revision is
   *     already compacted or not yet reached, {@link InvalidArgumentException} when it is not
   *     positive
   */
  public CompletableFuture<ResponseHeader> compactAsync(long revision) {
    CompactRequest request =
        CompactRequest.newBuilder().setRevision(revision).setWriteId(nextWriteId()).build();
    return caller.call(KVGrpc.getCompactMethod(), request).thenApply(r -> seen(r.getHeader()));
  }

  /** Blocking {@link #compactAsync(long)}. */
  public ResponseHeader compact(long revision) {
    return await(compactAsync(revision));
  }

  /**
   * Starts a watch: the listener hears every change to the watched keys from the start revision
   * on, in revision order, each exactly once, also when the serving node fails (the watch moves
   * to another node by itself).
   *
   * @return the running watch; close it to stop
   * @throws IllegalStateException when the client is closed
   */
  public Watch watch(WatchOptions options, WatchListener listener) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(listener, "listener");
    return new Watch(caller, options, listener);
  }

  /**
   * Backs up the node this client talks to (the leader, once found) into {@code file}: an
   * online, consistent snapshot of its data at one revision, streamed while writes go on. The
   * file appears only when complete and checked (SHA-256 and length as the node sent them); it
   * replaces an existing file. {@code tern restore} turns it into a new node's data directory.
   *
   * <p>Blocks until done; there is no timeout (a large store takes as long as it takes), but
   * interrupting the thread cancels it.
   *
   * @param progress hears the bytes written so far, after each chunk
   * @return what was backed up
   * @throws TernException when the node refuses or fails ({@link ErrorCode#RESOURCE_EXHAUSTED}:
   *     it runs too many backups), {@link ErrorCode#CANCELLED} when interrupted, {@link
   *     ErrorCode#DATA_LOSS} when the bytes arrived damaged
   * @throws java.io.UncheckedIOException when the file cannot be written
   */
  public BackupResult backup(java.nio.file.Path file, BackupProgress progress) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(progress, "progress");
    return Backups.run(caller, file, progress);
  }

  // ---- transactions

  /**
   * Runs a transaction, acknowledged once durable on a majority. A retry after a lost answer
   * carries the same write id, so the transaction is applied once.
   *
   * @return a future of what the transaction did (a failed compare is {@code succeeded() ==
   *     false}, not an error); failing with {@link InvalidArgumentException} for a bad or too
   *     large transaction, {@link RequestTimeoutException} when no leader accepted it in time (it
   *     may still have been applied)
   */
  public CompletableFuture<TxnResult> txnAsync(Txn txn) {
    return txnAsync(txn, WriteConsistency.MAJORITY);
  }

  /** Like {@link #txnAsync(Txn)}, acknowledged at the given level. */
  public CompletableFuture<TxnResult> txnAsync(Txn txn, WriteConsistency consistency) {
    Objects.requireNonNull(txn, "txn");
    io.ternkv.proto.v1.TxnRequest request =
        txn.toWire().setWriteId(nextWriteId()).setConsistency(Wire.write(consistency)).build();
    return caller
        .call(KVGrpc.getTxnMethod(), request)
        .thenApply(r -> Wire.txnResult(r, seen(r.getHeader())));
  }

  /** Blocking {@link #txnAsync(Txn)}. */
  public TxnResult txn(Txn txn) {
    return await(txnAsync(txn));
  }

  /** Blocking {@link #txnAsync(Txn, WriteConsistency)}. */
  public TxnResult txn(Txn txn, WriteConsistency consistency) {
    return await(txnAsync(txn, consistency));
  }

  /**
   * Stores {@code value} only if {@code key} does not exist.
   *
   * @return a future of true when it stored the value, false when the key existed
   */
  public CompletableFuture<Boolean> putIfAbsentAsync(byte[] key, byte[] value) {
    return txnAsync(Txn.builder().when(Compare.absent(key)).then(TxnOp.put(key, value)).build())
        .thenApply(TxnResult::succeeded);
  }

  /** Blocking {@link #putIfAbsentAsync(byte[], byte[])}. */
  public boolean putIfAbsent(byte[] key, byte[] value) {
    return await(putIfAbsentAsync(key, value));
  }

  /**
   * Stores {@code value} only if the key's last write is still the one at {@code
   * expectedModRevision} (0: only if the key does not exist). Read the key, compute, then
   * compare-and-set with its {@link KeyValue#modRevision()}; retry on false.
   *
   * @return a future of true when it stored the value, false when the key changed meanwhile
   */
  public CompletableFuture<Boolean> compareAndSetAsync(
      byte[] key, long expectedModRevision, byte[] value) {
    return txnAsync(
            Txn.builder()
                .when(Compare.modRevision(key, Compare.Operator.EQUAL, expectedModRevision))
                .then(TxnOp.put(key, value))
                .build())
        .thenApply(TxnResult::succeeded);
  }

  /** Blocking {@link #compareAndSetAsync(byte[], long, byte[])}. */
  public boolean compareAndSet(byte[] key, long expectedModRevision, byte[] value) {
    return await(compareAndSetAsync(key, expectedModRevision, value));
  }

  /**
   * Deletes the key only if its last write is still the one at {@code expectedModRevision}.
   *
   * @return a future of true when it deleted the key, false when the key changed or is gone
   */
  public CompletableFuture<Boolean> compareAndDeleteAsync(byte[] key, long expectedModRevision) {
    return txnAsync(
            Txn.builder()
                .when(
                    Compare.exists(key),
                    Compare.modRevision(key, Compare.Operator.EQUAL, expectedModRevision))
                .then(TxnOp.delete(key))
                .build())
        .thenApply(TxnResult::succeeded);
  }

  /** Blocking {@link #compareAndDeleteAsync(byte[], long)}. */
  public boolean compareAndDelete(byte[] key, long expectedModRevision) {
    return await(compareAndDeleteAsync(key, expectedModRevision));
  }

  // ---- leases

  /**
   * Grants a lease. Keys put with its id are deleted when it expires or is revoked.
   *
   * @param ttl at least one second; the lease expires once this long passes without a keep-alive
   * @return a future failing with {@link InvalidArgumentException} for a TTL out of range
   */
  public CompletableFuture<Lease> leaseGrantAsync(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    LeaseGrantRequest request =
        LeaseGrantRequest.newBuilder().setTtlMs(ttl.toMillis()).setWriteId(nextWriteId()).build();
    return caller
        .call(LeaseGrpc.getLeaseGrantMethod(), request)
        .thenApply(
            r -> {
              seen(r.getHeader());
              return new Lease(r.getId(), Duration.ofMillis(r.getTtlMs()));
            });
  }

  /** Blocking {@link #leaseGrantAsync(Duration)}. */
  public Lease leaseGrant(Duration ttl) {
    return await(leaseGrantAsync(ttl));
  }

  /**
   * Ends a lease now and deletes its keys at one revision.
   *
   * @return a future of how many keys were deleted; failing with a {@link TernException} of code
   *     {@link ErrorCode#FAILED_PRECONDITION} when the lease does not exist
   */
  public CompletableFuture<Long> leaseRevokeAsync(long id) {
    LeaseRevokeRequest request =
        LeaseRevokeRequest.newBuilder().setId(id).setWriteId(nextWriteId()).build();
    return caller
        .call(LeaseGrpc.getLeaseRevokeMethod(), request)
        .thenApply(
            r -> {
              seen(r.getHeader());
              return r.getDeleted();
            });
  }

  /** Blocking {@link #leaseRevokeAsync(long)}. */
  public long leaseRevoke(long id) {
    return await(leaseRevokeAsync(id));
  }

  /**
   * Renews a lease once, on the leader.
   *
   * @return a future of the renewed TTL, or empty when the lease no longer exists
   */
  public CompletableFuture<Optional<Duration>> leaseKeepAliveOnceAsync(long id) {
    return caller
        .call(
            LeaseGrpc.getLeaseKeepAliveMethod(),
            LeaseKeepAliveRequest.newBuilder().setId(id).build())
        .thenApply(
            r -> r.getTtlMs() > 0 ? Optional.of(Duration.ofMillis(r.getTtlMs())) : Optional.empty());
  }

  /** Blocking {@link #leaseKeepAliveOnceAsync(long)}. */
  public Optional<Duration> leaseKeepAliveOnce(long id) {
    return await(leaseKeepAliveOnceAsync(id));
  }

  /**
   * Keeps a lease alive in the background (renewing every third of its TTL) until the returned
   * handle is closed or the lease turns out to be gone.
   */
  public KeepAlive keepAlive(Lease lease) {
    Objects.requireNonNull(lease, "lease");
    KeepAlive k = new KeepAlive(this, lease, caller.timer());
    keepAlives.add(k);
    k.stopped().whenComplete((why, error) -> keepAlives.remove(k));
    return k;
  }

  /**
   * What the leader knows of a lease.
   *
   * @param withKeys also list the keys attached to it
   */
  public CompletableFuture<LeaseInfo> leaseTimeToLiveAsync(long id, boolean withKeys) {
    return caller
        .call(
            LeaseGrpc.getLeaseTimeToLiveMethod(),
            LeaseTimeToLiveRequest.newBuilder().setId(id).setKeys(withKeys).build())
        .thenApply(
            r ->
                new LeaseInfo(
                    r.getId(),
                    r.getTtlMs() < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(r.getTtlMs())),
                    Duration.ofMillis(r.getGrantedTtlMs()),
                    r.getKeysList().stream().map(ByteString::toByteArray).toList()));
  }

  /** Blocking {@link #leaseTimeToLiveAsync(long, boolean)}. */
  public LeaseInfo leaseTimeToLive(long id, boolean withKeys) {
    return await(leaseTimeToLiveAsync(id, withKeys));
  }

  /** Every lease's id, in order. */
  public CompletableFuture<List<Long>> leasesAsync() {
    return caller
        .call(LeaseGrpc.getLeasesMethod(), LeasesRequest.getDefaultInstance())
        .thenApply(r -> List.copyOf(r.getIdsList()));
  }

  /** Blocking {@link #leasesAsync()}. */
  public List<Long> leases() {
    return await(leasesAsync());
  }

  // ---- cluster

  /**
   * Asks one node (which need not be among the endpoints) for its view of the group; no retries.
   *
   * @return a future failing with {@link UnavailableException} when the node cannot be reached
   */
  public CompletableFuture<ClusterStatus> statusAsync(String endpoint) {
    Builder.checkEndpoint(endpoint);
    return caller
        .callOnce(endpoint, ClusterGrpc.getStatusMethod(), StatusRequest.getDefaultInstance())
        .thenApply((StatusResponse r) -> Wire.status(r));
  }

  /** Blocking {@link #statusAsync(String)}. */
  public ClusterStatus status(String endpoint) {
    return await(statusAsync(endpoint));
  }

  /** The cluster's members as a reachable node knows them. */
  public CompletableFuture<List<Member>> membersAsync() {
    return caller
        .call(ClusterGrpc.getMembersMethod(), MembersRequest.getDefaultInstance())
        .thenApply(r -> r.getMembersList().stream().map(Wire::member).toList());
  }

  /** Blocking {@link #membersAsync()}. */
  public List<Member> members() {
    return await(membersAsync());
  }

  /**
   * Adds a node to the cluster and returns once it votes. Start the node first with {@code tern
   * server --join} (its id and addresses as given here); it joins as a non-voting member, receives
   * the log or a snapshot, and is promoted to voter once it has applied everything committed when
   * it joined. Sent to the leader (redirects and retries as any call). One membership change runs
   * at a time.
   *
   * <p>A join that does not finish within {@code timeout} (or is cut short by a leader change)
   * leaves the node as a non-voting member: calling this again with the same arguments finishes
   * it, {@link #removeMemberAsync} abandons it.
   *
   * @param id the new node's id (1-64 letters, digits, {@code -}, {@code _})
   * @param clientAddress where clients reach it, {@code host:port}
   * @param raftAddress where the other nodes reach its Raft service, {@code host:port}
   * @param timeout how long the whole join may take, catch-up included
   * @return a future of the members once the node votes; failing with {@link
   *     InvalidArgumentException} for a malformed id or address, a {@link TernException} with
   *     {@link ErrorCode#FAILED_PRECONDITION} when the id or an address is already in use, another
   *     change is in progress or unfinished, or the node made no progress receiving the log (not
   *     running, wrong raft address), and {@link RequestTimeoutException} when it did not catch up
   *     in time (the message says why: e.g. its client address did not answer)
   */
  public CompletableFuture<List<Member>> addMemberAsync(
      String id, String clientAddress, String raftAddress, Duration timeout) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(clientAddress, "clientAddress");
    Objects.requireNonNull(raftAddress, "raftAddress");
    Objects.requireNonNull(timeout, "timeout");
    AddMemberRequest request =
        AddMemberRequest.newBuilder()
            .setMember(
                io.ternkv.proto.v1.Member.newBuilder()
                    .setId(id)
                    .setClientAddress(clientAddress)
                    .setRaftAddress(raftAddress))
            .build();
    return caller
        .call(ClusterGrpc.getAddMemberMethod(), request, timeout)
        .thenApply(r -> r.getMembersList().stream().map(Wire::member).toList());
  }

  /** Blocking {@link #addMemberAsync(String, String, String, Duration)}. */
  public List<Member> addMember(String id, String clientAddress, String raftAddress, Duration timeout) {
    return await(addMemberAsync(id, clientAddress, raftAddress, timeout));
  }

  /**
   * Removes a member (voting or still joining) and returns once the new configuration is
   * committed. Removing the leader first hands leadership to the most up-to-date other voter. The
   * removed node stops taking part; stop its process and delete its data directory before reusing
   * its id or addresses.
   *
   * @return a future of the remaining members; failing with {@link InvalidArgumentException} for a
   *     malformed id, a {@link TernException} with {@link ErrorCode#FAILED_PRECONDITION} when the
   *     id is not a member, it is the last voter, or another change is in progress or unfinished
   */
  public CompletableFuture<List<Member>> removeMemberAsync(String id) {
    Objects.requireNonNull(id, "id");
    return caller
        .call(ClusterGrpc.getRemoveMemberMethod(), RemoveMemberRequest.newBuilder().setId(id).build())
        .thenApply(r -> r.getMembersList().stream().map(Wire::member).toList());
  }

  /** Blocking {@link #removeMemberAsync(String)}. */
  public List<Member> removeMember(String id) {
    return await(removeMemberAsync(id));
  }

  /**
   * Makes voter {@code id} the leader: the current leader waits until it has the whole log, lets
   * it start an election at once, and answers once it leads. Writes pause for that moment (the
   * client retries them).
   *
   * @return a future of the new leader's id; failing with {@link InvalidArgumentException} for a
   *     malformed id, a {@link TernException} with {@link ErrorCode#FAILED_PRECONDITION} when
   *     {@code id} is not a member, does not vote yet, or a membership change is in progress, and
   *     {@link RequestTimeoutException} when it did not take over in time (e.g. it is down)
   */
  public CompletableFuture<String> transferLeadershipAsync(String id) {
    Objects.requireNonNull(id, "id");
    return caller
        .call(ClusterGrpc.getTransferLeaderMethod(), TransferLeaderRequest.newBuilder().setId(id).build())
        .thenApply(r -> r.getLeaderId());
  }

  /** Blocking {@link #transferLeadershipAsync(String)}. */
  public String transferLeadership(String id) {
    return await(transferLeadershipAsync(id));
  }

  /** The highest Raft log index this client has seen in any answer. */
  public long lastSeenIndex() {
    return lastSeenIndex.get();
  }

  /** The endpoint calls go to first (the leader, once found). */
  public String currentEndpoint() {
    return caller.currentEndpoint();
  }

  /** Closes the connections; calls after this fail with {@link IllegalStateException}. */
  @Override
  public void close() {
    for (KeepAlive k : keepAlives) {
      k.clientClosed();
    }
    caller.close();
  }

  // ---- helpers

  private WriteId nextWriteId() {
    return WriteId.newBuilder()
        .setClientId(UnsafeByteOperations.unsafeWrap(clientId))
        .setSequence(sequence.incrementAndGet())
        .build();
  }

  private ResponseHeader seen(io.ternkv.proto.v1.ResponseHeader h) {
    lastSeenIndex.accumulateAndGet(h.getRaftIndex(), Math::max);
    return new ResponseHeader(h.getNodeId(), h.getRevision(), h.getRaftIndex(), h.getRaftTerm());
  }

  private static ByteString bytes(byte[] b, String field) {
    Objects.requireNonNull(b, field);
    return ByteString.copyFrom(b);
  }

  private static byte[] utf8(String s) {
    return Objects.requireNonNull(s, "key/value").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Waits for a future and rethrows its {@link TernException}.
   *
   * @throws TernException with {@link ErrorCode#CANCELLED} when the thread is interrupted (the
   *     interrupt flag is kept)
   */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof TernException t) {
        throw t;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new TernException(ErrorCode.INTERNAL, String.valueOf(cause), cause);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new TernException(ErrorCode.CANCELLED, "interrupted while waiting for TernKV", e);
    } catch (CancellationException e) {
      throw new TernException(ErrorCode.CANCELLED, "call cancelled", e);
    }
  }

  /** Builder for {@link TernClient}; not thread-safe. */
  public static final class Builder {
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:.]+]|[^:\\s\\[\\]]+):(\\d{1,5})");

    private List<String> endpoints = List.of();
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration backoffMin = DEFAULT_BACKOFF_MIN;
    private Duration backoffMax = DEFAULT_BACKOFF_MAX;
    private Path tlsCa;
    private Path tlsCert;
    private Path tlsKey;
    private io.ternkv.client.internal.ClientTls tls;
    private String user;
    private String password;

    private Builder() {}

    /**
     * Logs in as {@code user} on clusters with authentication enabled. The client logs in before its
     * first call, keeps the token the node returns and sends it with every call (a token counts
     * before a client certificate);
     * when a node refuses the token (it expired, or the password changed) the client logs in
     * again once and repeats the call. A wrong password fails calls with {@link
     * AuthenticationException}. The password is kept in memory for those logins, sent only to
     * the cluster's {@code Authenticate} call, and never logged; use TLS so it is not sent in
     * the clear. On clusters without authentication the credentials are unused.
     */
    public Builder credentials(String user, String password) {
      this.user = Objects.requireNonNull(user, "user");
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * Connects over TLS (1.2 or 1.3), trusting node certificates signed by the CA certificates
     * in {@code caFile} (PEM); null (the default) connects in plaintext. A node's certificate must
     * name the address the client connects to. A client that speaks TLS to a plaintext node, or
     * plaintext to a TLS node, fails with {@link TransportSecurityException} at once.
     */
    public Builder tls(Path caFile) {
      this.tlsCa = caFile;
      return this;
    }

    /**
     * Presents this certificate (PEM, leaf first) and its private key (unencrypted PKCS#8 PEM) to
     * nodes that ask for one ({@code tern server --client-cert-auth}); needs {@link #tls}.
     */
    public Builder tlsClientCertificate(Path certFile, Path keyFile) {
      this.tlsCert = certFile;
      this.tlsKey = keyFile;
      return this;
    }

    /** Client addresses ({@code host:port}) of some or all nodes; at least one. */
    public Builder endpoints(String... endpoints) {
      return endpoints(Arrays.asList(endpoints));
    }

    /** Client addresses ({@code host:port}) of some or all nodes; at least one. */
    public Builder endpoints(List<String> endpoints) {
      this.endpoints = List.copyOf(endpoints);
      return this;
    }

    /** Time one call may take, all retries included. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = timeout;
      return this;
    }

    /** First and longest pause between retries (exponential with jitter in between). */
    public Builder retryBackoff(Duration initial, Duration max) {
      this.backoffMin = initial;
      this.backoffMax = max;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the first bad setting
     */
    public TernClient build() {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("endpoints: at least one host:port is needed");
      }
      endpoints.forEach(Builder::checkEndpoint);
      if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive");
      }
      if (backoffMin == null || backoffMax == null || backoffMin.isNegative() || backoffMin.isZero()
          || backoffMax.compareTo(backoffMin) < 0) {
        throw new IllegalArgumentException("retryBackoff: initial must be positive and max >= initial");
      }
      if ((tlsCert == null) != (tlsKey == null)) {
        throw new IllegalArgumentException("tlsClientCertificate: give both the certificate and the key");
      }
      if (tlsCert != null && tlsCa == null) {
        throw new IllegalArgumentException("tlsClientCertificate needs tls(caFile): a client certificate is only sent over TLS");
      }
      if (user != null && (user.isEmpty() || password.isEmpty())) {
        throw new IllegalArgumentException("credentials: user and password must not be empty");
      }
      tls = tlsCa == null ? null : io.ternkv.client.internal.ClientTls.load(tlsCa, tlsCert, tlsKey);
      return new TernClient(this);
    }

    static void checkEndpoint(String endpoint) {
      if (endpoint == null || !HOST_PORT.matcher(endpoint).matches()
          || Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)) > 65535) {
        throw new IllegalArgumentException("endpoints: '" + endpoint + "' is not host:port");
      }
    }
  }
}
