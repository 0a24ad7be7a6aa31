package io.ternkv.server.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.BackupDone;
import io.ternkv.proto.v1.BackupInfo;
import io.ternkv.proto.v1.BackupRequest;
import io.ternkv.proto.v1.BackupResponse;
import io.ternkv.proto.v1.MaintenanceGrpc;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing {@code Maintenance} service: online backups.
 *
 * <p>A backup pins the store's current view (the store keeps every page it reaches until the
 * backup ends) and writes it as a snapshot on a thread of its own, in 256 KiB messages sent only
 * when gRPC flow control allows: a slow reader slows the backup down, it does not grow memory.
 * Applies go on meanwhile. At most {@value #MAX_BACKUPS} backups run at once per node.
 *
 * <p>Threading: thread-safe.
 */
public final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceService.class);

  static final int MAX_BACKUPS = 2;
  static final int CHUNK_BYTES = 256 * 1024;

  private final String nodeId;
  private final RaftNode raft;
  private final Semaphore running = new Semaphore(MAX_BACKUPS);

  private final io.ternkv.server.auth.AuthGate auth;

  /** Creates the service for one node. */
  public MaintenanceService(String nodeId, RaftNode raft) {
    this(nodeId, raft, new io.ternkv.server.auth.AuthGate(raft::store, io.ternkv.server.auth.AuthGate.DEFAULT_TOKEN_TTL));
  }

  /** Creates the service for one node; backups need the root role when {@code auth} is enabled. */
  public MaintenanceService(String nodeId, RaftNode raft, io.ternkv.server.auth.AuthGate auth) {
    this.auth = auth;
    this.nodeId = nodeId;
    this.raft = raft;
  }

  @Override
  public void backup(BackupRequest request, StreamObserver<BackupResponse> responses) {
    ServerCallStreamObserver<BackupResponse> out = (ServerCallStreamObserver<BackupResponse>) responses;
    try {
      auth.checkRoot("take a backup");
    } catch (RuntimeException e) {
      out.onError(ErrorMapper.toStatus(nodeId, e));
      return;
    }
    if (!running.tryAcquire()) {
      out.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription(
                  "node " + nodeId + " is already running " + MAX_BACKUPS + " backups; try later")
              .asRuntimeException());
      return;
    }
    KvStore store = raft.store();
    KvStore.Pinned pinned;
    try {
      pinned = store.pin();
    } catch (RuntimeException e) {
      running.release();
      out.onError(ErrorMapper.toStatus(nodeId, e));
      return;
    }
    FlowControlledStream stream = new FlowControlledStream(out);
    out.setOnCancelHandler(stream::cancel);
    out.setOnReadyHandler(stream::ready);
    Thread writer =
        new Thread(
            () -> {
              try (pinned) {
                KvStore.ReadView view = pinned.view();
                AppliedState at = view.applied();
                long estimate;
                try {
                  estimate = Files.size(store.file());
                } catch (IOException e) {
                  estimate = 0;
                }
                stream.send(
                    BackupResponse.newBuilder()
                        .setInfo(
                            BackupInfo.newBuilder()
                                .setNodeId(nodeId)
                                .setRevision(at.revision())
                                .setRaftIndex(at.index())
                                .setRaftTerm(at.term())
                                .setCompactRevision(view.compacted())
                                .setKeys(view.keyCount())
                                .setEstimatedBytes(estimate))
                        .build());
                KvStore.writeSnapshot(view, stream);
                stream.flush();
                stream.send(
                    BackupResponse.newBuilder()
                        .setDone(
                            BackupDone.newBuilder()
                                .setBytes(stream.bytes)
                                .setSha256(ByteString.copyFrom(stream.digest.digest())))
                        .build());
                out.onCompleted();
                LOG.info(
                    "{}: backup of revision {} sent ({} bytes)", nodeId, at.revision(), stream.bytes);
              } catch (InterruptedIOException e) {
                LOG.info("{}: backup cancelled by the client after {} bytes", nodeId, stream.bytes);
              } catch (IOException | RuntimeException e) {
                LOG.warn("{}: backup failed after {} bytes", nodeId, stream.bytes, e);
                try {
                  out.onError(ErrorMapper.toStatus(nodeId, e));
                } catch (RuntimeException ignored) {
                  // the call is gone already
                }
              } finally {
                running.release();
              }
            },
            nodeId + "-backup");
    writer.setDaemon(true);
    writer.start();
  }

  /** Bytes written become 256 KiB data messages, each sent once the stream is ready for it. */
  private static final class FlowControlledStream extends OutputStream {
    private final ServerCallStreamObserver<BackupResponse> out;
    private final byte[] buffer = new byte[CHUNK_BYTES];
    private int used;
    long bytes;
    final MessageDigest digest;
    private boolean cancelled;

    FlowControlledStream(ServerCallStreamObserver<BackupResponse> out) {
      this.out = out;
      try {
        this.digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK has no SHA-256", e);
      }
    }

    synchronized void cancel() {
      cancelled = true;
      notifyAll();
    }

    synchronized void ready() {
      notifyAll();
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, buffer.length - used);
        System.arraycopy(b, off, buffer, used, n);
        used += n;
        off += n;
        len -= n;
        if (used == buffer.length) {
          flushChunk();
        }
      }
    }

    @Override
    public void flush() throws IOException {
      if (used > 0) {
        flushChunk();
      }
    }

    private void flushChunk() throws IOException {
      digest.update(buffer, 0, used);
      bytes += used;
      send(BackupResponse.newBuilder().setData(ByteString.copyFrom(buffer, 0, used)).build());
      used = 0;
    }

    /** Sends one message once the stream is ready; throws once the client has gone. */
    void send(BackupResponse message) throws IOException {
      synchronized (this) {
        while (!cancelled && !out.isReady()) {
          try {
            wait(100); // the ready handler wakes us sooner
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("backup interrupted");
          }
        }
        if (cancelled) {
          throw new InterruptedIOException("the client cancelled the backup");
        }
      }
      out.onNext(message);
    }
  }
}
