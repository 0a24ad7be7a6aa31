package io.ternkv.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.ternkv.proto.raft.v1.DeleteRange;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.proto.raft.v1.RangeRead;
import io.ternkv.proto.raft.v1.TxnCommand;
import io.ternkv.proto.raft.v1.TxnCompare;
import io.ternkv.proto.raft.v1.TxnStep;
import io.ternkv.proto.v1.Compare;
import io.ternkv.proto.v1.ResponseHeader;
import io.ternkv.proto.v1.TxnDelete;
import io.ternkv.proto.v1.TxnDeleteResult;
import io.ternkv.proto.v1.TxnOp;
import io.ternkv.proto.v1.TxnOpResult;
import io.ternkv.proto.v1.TxnPutResult;
import io.ternkv.proto.v1.TxnRange;
import io.ternkv.proto.v1.TxnRangeResult;
import io.ternkv.proto.v1.TxnRequest;
import io.ternkv.proto.v1.TxnResponse;
import io.ternkv.server.FailedPreconditionException;
import io.ternkv.server.InvalidRequestException;
import io.ternkv.server.apply.RequestLimits;
import io.ternkv.server.storage.KvStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a client {@code TxnRequest} into the log's {@code TxnCommand}, refusing anything that
 * could not be applied as asked, and turns the applied result back into a {@code TxnResponse}.
 */
final class TxnRequests {
  private TxnRequests() {}

  /**
   * Validates and translates a transaction.
   *
   * @throws InvalidRequestException naming the bad compare or op (by branch and position)
   */
  static TxnCommand toCommand(TxnRequest request, RequestLimits limits) {
    int count = request.getCompareCount() + request.getSuccessCount() + request.getFailureCount();
    if (count > RequestLimits.MAX_TXN_OPS) {
      throw new InvalidRequestException(
          "transaction has "
              + count
              + " compares and ops; the limit is "
              + RequestLimits.MAX_TXN_OPS);
    }
    TxnCommand.Builder txn = TxnCommand.newBuilder();
    for (int i = 0; i < request.getCompareCount(); i++) {
      txn.addCompares(compare(request.getCompare(i), limits, "compare[" + i + "]"));
    }
    txn.addAllSuccess(branch(request.getSuccessList(), limits, "success"));
    txn.addAllFailure(branch(request.getFailureList(), limits, "failure"));
    TxnCommand built = txn.build();
    if (built.getSerializedSize() > RequestLimits.MAX_TXN_BYTES) {
      throw new InvalidRequestException(
          "transaction is "
              + built.getSerializedSize()
              + " bytes; the limit is "
              + RequestLimits.MAX_TXN_BYTES
              + " bytes (split it)");
    }
    return built;
  }

  private static TxnCompare compare(Compare c, RequestLimits limits, String where) {
    limits.checkKey(where + ".key", c.getKey().size());
    TxnCompare.Target target =
        switch (c.getTarget()) {
          case VERSION -> TxnCompare.Target.VERSION;
          case CREATE_REVISION -> TxnCompare.Target.CREATE_REVISION;
          case MOD_REVISION -> TxnCompare.Target.MOD_REVISION;
          case VALUE -> TxnCompare.Target.VALUE;
          case UNRECOGNIZED -> throw new InvalidRequestException(where + ": unknown target");
        };
    TxnCompare.Operator operator =
        switch (c.getOperator()) {
          case EQUAL -> TxnCompare.Operator.EQUAL;
          case NOT_EQUAL -> TxnCompare.Operator.NOT_EQUAL;
          case LESS -> TxnCompare.Operator.LESS;
          case GREATER -> TxnCompare.Operator.GREATER;
          case UNRECOGNIZED -> throw new InvalidRequestException(where + ": unknown operator");
        };
    if (target == TxnCompare.Target.VALUE) {
      if (c.getNumber() != 0) {
        throw new InvalidRequestException(where + ": a VALUE compare takes value, not number");
      }
      limits.checkValue(c.getValue().size());
    } else if (!c.getValue().isEmpty()) {
      throw new InvalidRequestException(where + ": a " + target + " compare takes number, not value");
    }
    return TxnCompare.newBuilder()
        .setKey(c.getKey())
        .setTarget(target)
        .setOperator(operator)
        .setNumber(c.getNumber())
        .setValue(c.getValue())
        .build();
  }

  private static List<TxnStep> branch(List<TxnOp> ops, RequestLimits limits, String name) {
    List<TxnStep> steps = new ArrayList<>(ops.size());
    List<byte[]> puts = new ArrayList<>();
    List<KvService.Bounds> deletes = new ArrayList<>();
    List<Boolean> singleKey = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      String where = name + "[" + i + "]";
      TxnOp op = ops.get(i);
      switch (op.getOpCase()) {
        case PUT -> {
          limits.checkKey(where + ".key", op.getPut().getKey().size());
          try {
            limits.checkValue(op.getPut().getValue().size());
          } catch (InvalidRequestException e) {
            throw new InvalidRequestException(where + ": " + e.getMessage());
          }
          puts.add(op.getPut().getKey().toByteArray());
          steps.add(
              TxnStep.newBuilder()
                  .setPut(
                      PutCommand.newBuilder()
                          .setKey(op.getPut().getKey())
                          .setValue(op.getPut().getValue())
                          .setLease(RequestLimits.checkLease(where + ".lease", op.getPut().getLease())))
                  .build());
        }
        case DELETE -> {
          KvService.Bounds b = deleteBounds(op.getDelete(), limits, where);
          deletes.add(b);
          singleKey.add(isSingleKey(op.getDelete()));
          steps.add(TxnStep.newBuilder().setDelete(deleteRange(op.getDelete(), b)).build());
        }
        case RANGE -> {
          TxnRange r = op.getRange();
          KvService.Bounds b =
              KvService.Bounds.of(r.getStart(), r.getEnd(), r.getPrefix(), limits);
          if (r.getLimit() < 0) {
            throw new InvalidRequestException(where + ": limit must not be negative");
          }
          int limit =
              (int)
                  (r.getLimit() == 0
                      ? RequestLimits.MAX_RANGE_PAGE
                      : Math.min(r.getLimit(), RequestLimits.MAX_RANGE_PAGE));
          RangeRead.Builder read = RangeRead.newBuilder().setLimit(limit);
          if (b.start() != null) {
            read.setStart(wrap(b.start()));
          }
          if (b.end() != null) {
            read.setEnd(wrap(b.end())).setHasEnd(true);
          }
          steps.add(TxnStep.newBuilder().setRange(read).build());
        }
        case OP_NOT_SET -> throw new InvalidRequestException(where + ": no operation set");
      }
    }
    checkNoKeyWrittenTwice(puts, deletes, singleKey, name);
    return steps;
  }

  /**
   * The validated log form of a delete of one key, a range, a prefix or everything from a key on.
   *
   * @throws InvalidRequestException naming {@code where} when the delete is malformed
   */
  static DeleteRange deleteRange(TxnDelete d, RequestLimits limits, String where) {
    return deleteRange(d, deleteBounds(d, limits, where));
  }

  private static DeleteRange deleteRange(TxnDelete d, KvService.Bounds b) {
    DeleteRange.Builder range =
        DeleteRange.newBuilder().setStart(b.start() == null ? ByteString.EMPTY : wrap(b.start()));
    if (b.end() != null) {
      range.setEnd(wrap(b.end())).setHasEnd(true);
    } else if (!isSingleKey(d)) {
      range.setOpenEnd(true);
    }
    return range.build();
  }

  private static boolean isSingleKey(TxnDelete d) {
    return d.getPrefix().isEmpty() && d.getEnd().isEmpty() && !d.getToEnd();
  }

  /** A delete's key range: start and exclusive end, null end for a single key or no end. */
  private static KvService.Bounds deleteBounds(TxnDelete d, RequestLimits limits, String where) {
    if (!d.getPrefix().isEmpty()) {
      if (!d.getKey().isEmpty() || !d.getEnd().isEmpty() || d.getToEnd()) {
        throw new InvalidRequestException(where + ": a delete takes either prefix or key/end");
      }
      limits.checkKey(where + ".prefix", d.getPrefix().size());
      byte[] prefix = d.getPrefix().toByteArray();
      return new KvService.Bounds(prefix, KvService.Bounds.prefixEnd(prefix));
    }
    if (d.getToEnd()) {
      if (!d.getEnd().isEmpty()) {
        throw new InvalidRequestException(where + ": a delete takes end or to_end, not both");
      }
      // An empty key with to_end: every key.
      if (!d.getKey().isEmpty()) {
        limits.checkKey(where + ".key", d.getKey().size());
      }
      return new KvService.Bounds(d.getKey().toByteArray(), null);
    }
    if (d.getEnd().isEmpty()) {
      limits.checkKey(where + ".key", d.getKey().size());
      return new KvService.Bounds(d.getKey().toByteArray(), null);
    }
    // [key, end); an empty key starts at the first key.
    return KvService.Bounds.of(d.getKey(), d.getEnd(), ByteString.EMPTY, limits);
  }

  /** Like etcd: one branch may not put a key twice, nor put a key it also deletes. */
  private static void checkNoKeyWrittenTwice(
      List<byte[]> puts, List<KvService.Bounds> deletes, List<Boolean> singleKey, String name) {
    List<byte[]> sorted = new ArrayList<>(puts);
    sorted.sort(Arrays::compareUnsigned);
    for (int i = 1; i < sorted.size(); i++) {
      if (Arrays.equals(sorted.get(i - 1), sorted.get(i))) {
        throw new InvalidRequestException(name + ": the same key is put twice in one transaction");
      }
    }
    for (byte[] key : puts) {
      for (int i = 0; i < deletes.size(); i++) {
        KvService.Bounds d = deletes.get(i);
        boolean inside =
            singleKey.get(i)
                ? Arrays.equals(key, d.start())
                : (d.start() == null || Arrays.compareUnsigned(key, d.start()) >= 0)
                    && (d.end() == null || Arrays.compareUnsigned(key, d.end()) < 0);
        if (inside) {
          throw new InvalidRequestException(
              name + ": a key is both put and deleted in one transaction");
        }
      }
    }
  }

  /** The client's view of what the transaction did. */
  static TxnResponse toResponse(
      io.ternkv.server.apply.TxnResult result, ResponseHeader header) {
    if (result == null) {
      // A retry answered from the retry cache with the entry of a node that had it in its store
      // already when it restarted: the transaction took effect, but what it read is gone.
      throw new FailedPreconditionException(
          "this transaction was applied (at or before log index "
              + header.getRaftIndex()
              + ") but its result is no longer known on node "
              + header.getNodeId()
              + "; read the keys to see its effect");
    }
    TxnResponse.Builder b =
        TxnResponse.newBuilder().setHeader(header).setSucceeded(result.succeeded());
    for (io.ternkv.server.apply.TxnResult.StepResult step : result.steps()) {
      TxnOpResult.Builder r = TxnOpResult.newBuilder();
      switch (step.kind()) {
        case PUT -> r.setPut(TxnPutResult.getDefaultInstance());
        case DELETE -> r.setDelete(TxnDeleteResult.newBuilder().setDeleted(step.deleted()));
        case RANGE -> {
          TxnRangeResult.Builder range = TxnRangeResult.newBuilder().setMore(step.read().more());
          for (KvStore.Entry e : step.read().entries()) {
            range.addKvs(KvService.toKeyValue(wrap(e.key()), e.value()));
          }
          r.setRange(range);
        }
      }
      b.addResults(r);
    }
    return b.build();
  }

  private static ByteString wrap(byte[] b) {
    return UnsafeByteOperations.unsafeWrap(b);
  }

  /** The keys a validated delete touches: {@code range}, or {@code key} alone when it is null. */
  static io.ternkv.server.auth.KeySpan span(io.ternkv.proto.raft.v1.DeleteRange range, ByteString key) {
    if (range == null) {
      return io.ternkv.server.auth.KeySpan.key(key.toByteArray());
    }
    byte[] start = range.getStart().toByteArray();
    if (range.getOpenEnd()) {
      return new io.ternkv.server.auth.KeySpan(start, null);
    }
    if (range.getHasEnd()) {
      return new io.ternkv.server.auth.KeySpan(start, range.getEnd().toByteArray());
    }
    return io.ternkv.server.auth.KeySpan.key(start);
  }

  /**
   * Checks that the caller may read every key a transaction compares or reads and write every
   * key it puts or deletes, in both branches (which one runs is decided only when applied).
   */
  static void checkAccess(io.ternkv.proto.raft.v1.TxnCommand txn, io.ternkv.server.auth.AuthGate auth) {
    if (!auth.state().enabled()) {
      return;
    }
    for (TxnCompare c : txn.getComparesList()) {
      auth.check(io.ternkv.server.auth.Access.READ, io.ternkv.server.auth.KeySpan.key(c.getKey().toByteArray()));
    }
    for (List<TxnStep> branch : List.of(txn.getSuccessList(), txn.getFailureList())) {
      for (TxnStep step : branch) {
        switch (step.getStepCase()) {
          case PUT -> auth.check(
              io.ternkv.server.auth.Access.WRITE,
              io.ternkv.server.auth.KeySpan.key(step.getPut().getKey().toByteArray()));
          case DELETE -> auth.check(io.ternkv.server.auth.Access.WRITE, span(step.getDelete(), null));
          case RANGE -> {
            io.ternkv.proto.raft.v1.RangeRead r = step.getRange();
            auth.check(
                io.ternkv.server.auth.Access.READ,
                new io.ternkv.server.auth.KeySpan(
                    r.getStart().toByteArray(), r.getHasEnd() ? r.getEnd().toByteArray() : null));
          }
          case STEP_NOT_SET -> {}
        }
      }
    }
  }
}
