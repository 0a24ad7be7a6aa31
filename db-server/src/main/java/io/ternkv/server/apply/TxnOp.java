package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.RangeRead;
import io.ternkv.proto.raft.v1.StoredValue;
import io.ternkv.proto.raft.v1.TxnCommand;
import io.ternkv.proto.raft.v1.TxnCompare;
import io.ternkv.proto.raft.v1.TxnStep;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Applies a transaction: evaluates every compare against the state before it, then runs the
 * success or the failure steps in order. Every write of the transaction carries the same new
 * revision; a transaction that changes nothing keeps the revision, as in etcd.
 *
 * <p>The request was checked before the log (no key written twice in one branch, sizes), so the
 * steps cannot fail here.
 */
final class TxnOp {
  private TxnOp() {}

  static ApplyResult apply(
      KvStore.Writer w, TxnCommand txn, AppliedState before, long term, long index) {
    boolean succeeded = true;
    for (TxnCompare c : txn.getComparesList()) {
      if (!holds(w, c)) {
        succeeded = false;
        break;
      }
    }
    List<TxnStep> steps = succeeded ? txn.getSuccessList() : txn.getFailureList();
    // All or nothing: everything that could stop a step is checked before the first one runs.
    for (TxnStep step : steps) {
      if (step.getStepCase() == TxnStep.StepCase.STEP_NOT_SET) {
        throw new IllegalStateException(
            "log entry " + index + " holds a transaction step this version does not know");
      }
      long lease = step.hasPut() ? step.getPut().getLease() : 0;
      if (lease != 0 && w.lease(lease).isEmpty()) {
        return ApplyResult.refused(w, before, term, index, ApplyResult.noLease(lease));
      }
    }
    long revision = before.revision() + 1;
    boolean wrote = false;
    // One read budget for the whole transaction, like one range response: a transaction of many
    // range steps must not hold gigabytes on the apply thread.
    long readBudget = RequestLimits.MAX_RANGE_BYTES;
    List<TxnResult.StepResult> results = new ArrayList<>(steps.size());
    for (TxnStep step : steps) {
      switch (step.getStepCase()) {
        case PUT -> {
          PutOp.write(w, step.getPut(), revision);
          wrote = true;
          results.add(new TxnResult.StepResult(TxnResult.StepResult.Kind.PUT, 0, null));
        }
        case DELETE -> {
          long deleted = DeleteOp.delete(w, step.getDelete(), revision).size();
          wrote |= deleted > 0;
          results.add(new TxnResult.StepResult(TxnResult.StepResult.Kind.DELETE, deleted, null));
        }
        case RANGE -> {
          RangeRead r = step.getRange();
          byte[] start = r.getStart().isEmpty() ? null : r.getStart().toByteArray();
          byte[] end = r.getHasEnd() ? r.getEnd().toByteArray() : null;
          KvStore.RangePage page;
          if (readBudget > 0) {
            page = w.range(start, end, r.getLimit(), readBudget);
            for (KvStore.Entry e : page.entries()) {
              readBudget -= e.key().length + e.value().getSerializedSize();
            }
          } else {
            // Budget spent: say whether the range holds keys, return none.
            page = new KvStore.RangePage(List.of(), !w.range(start, end, 1, 1).entries().isEmpty());
          }
          results.add(new TxnResult.StepResult(TxnResult.StepResult.Kind.RANGE, 0, page));
        }
        case STEP_NOT_SET -> throw new AssertionError("checked above");
      }
    }
    long after = wrote ? revision : before.revision();
    w.setApplied(new AppliedState(term, index, after));
    return new ApplyResult(
        after, 0, null, new TxnResult(succeeded, List.copyOf(results)), null, List.of());
  }

  /** Whether one compare holds; a missing key has version and revisions 0 and no value. */
  static boolean holds(KvStore.Writer w, TxnCompare c) {
    Optional<StoredValue> current = w.get(c.getKey().toByteArray());
    int order;
    switch (c.getTarget()) {
      case VALUE -> {
        if (current.isEmpty()) {
          return false;
        }
        order =
            Arrays.compareUnsigned(
                current.get().getValue().toByteArray(), c.getValue().toByteArray());
      }
      case VERSION -> order = Long.compare(current.map(StoredValue::getVersion).orElse(0L), c.getNumber());
      case CREATE_REVISION ->
          order = Long.compare(current.map(StoredValue::getCreateRevision).orElse(0L), c.getNumber());
      case MOD_REVISION ->
          order = Long.compare(current.map(StoredValue::getModRevision).orElse(0L), c.getNumber());
      default -> throw new IllegalStateException("unknown compare target " + c.getTarget());
    }
    return switch (c.getOperator()) {
      case EQUAL -> order == 0;
      case NOT_EQUAL -> order != 0;
      case LESS -> order < 0;
      case GREATER -> order > 0;
      default -> throw new IllegalStateException("unknown compare operator " + c.getOperator());
    };
  }
}
