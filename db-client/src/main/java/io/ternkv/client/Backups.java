package io.ternkv.client;

import io.grpc.StatusRuntimeException;
import io.ternkv.client.internal.Caller;
import io.ternkv.proto.v1.BackupRequest;
import io.ternkv.proto.v1.BackupResponse;
import io.ternkv.proto.v1.MaintenanceGrpc;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;

/** Runs one backup: streams a node's snapshot into a file, checking it on the way. */
final class Backups {
  private Backups() {}

  static BackupResult run(Caller caller, Path file, BackupProgress progress) {
    String address = caller.currentEndpoint();
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    boolean kept = false;
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      Iterator<BackupResponse> stream =
          MaintenanceGrpc.newBlockingStub(caller.channel(address)).backup(BackupRequest.getDefaultInstance());
      if (!stream.hasNext()) {
        throw new TernException(ErrorCode.INTERNAL, address + ": backup ended before it began", null);
      }
      BackupResponse first = stream.next();
      if (!first.hasInfo()) {
        throw new TernException(ErrorCode.INTERNAL, address + ": backup did not start with its description", null);
      }
      var info = first.getInfo();
      long written = 0;
      byte[] sha;
      try (OutputStream out =
          Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        while (true) {
          if (!stream.hasNext()) {
            throw new TernException(
                ErrorCode.UNAVAILABLE, address + ": backup stream ended after " + written + " bytes without finishing", null);
          }
          BackupResponse r = stream.next();
          if (r.hasData()) {
            r.getData().writeTo(out);
            digest.update(r.getData().asReadOnlyByteBuffer());
            written += r.getData().size();
            progress.written(written, info.getEstimatedBytes());
            continue;
          }
          if (!r.hasDone()) {
            throw new TernException(ErrorCode.INTERNAL, address + ": unexpected backup message", null);
          }
          sha = digest.digest();
          if (r.getDone().getBytes() != written || !MessageDigest.isEqual(sha, r.getDone().getSha256().toByteArray())) {
            throw new TernException(
                ErrorCode.DATA_LOSS,
                address + ": backup arrived damaged (" + written + " bytes received, " + r.getDone().getBytes() + " sent, or checksums differ)",
                null);
          }
          break;
        }
      }
      try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      kept = true;
      return new BackupResult(
          info.getNodeId(),
          info.getRevision(),
          info.getRaftIndex(),
          info.getKeys(),
          written,
          HexFormat.of().formatHex(sha));
    } catch (StatusRuntimeException e) {
      if (Thread.currentThread().isInterrupted()) {
        throw new TernException(ErrorCode.CANCELLED, "backup cancelled; " + file + " was not written", e);
      }
      throw caller.explain(address, e).join();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write backup " + file + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    } finally {
      if (!kept) {
        try {
          Files.deleteIfExists(partial);
        } catch (IOException ignored) {
          // best effort: a stale .partial file says what it is
        }
      }
    }
  }
}
