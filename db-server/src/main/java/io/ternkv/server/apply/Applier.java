package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.BatchCommand;
import io.ternkv.proto.raft.v1.BatchedWrite;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Executes log commands against the store, deterministically: the result depends only on the
 * store's state and the command (no clock, no randomness), so every node computes the same state.
 *
 * <p>Threading: called from the single apply thread of the Raft group.
 */
public final class Applier {
  private final KvStore store;

  /** Creates an applier writing to {@code store}. */
  public Applier(KvStore store) {
    this.store = store;
  }

  /**
   * Applies one command at the given log position, in one atomic store mutation that also records
   * the position.
   *
   * @throws IllegalStateException for a command this version does not know; applying it anyway
   *     would let nodes diverge, so the caller must stop
   */
  public ApplyResult apply(Command command, long term, long index) {
    if (command.getOpCase() == Command.OpCase.BATCH) {
      throw new IllegalStateException("log entry " + index + " holds a batch; use applyBatch");
    }
    return store.write(w -> applyOne(w, command, term, index));
  }

  /**
   * Applies a batch's writes in order, in one atomic store mutation (readers see all of them or
   * none), each as its own command at its own revision, all at the batch's log position.
   *
   * @return one result per write, in the batch's order
   * @throws IllegalStateException for a command this version does not know, or a nested batch
   */
  public List<ApplyResult> applyBatch(BatchCommand batch, long term, long index) {
    return store.write(
        w -> {
          List<ApplyResult> results = new ArrayList<>(batch.getWritesCount());
          for (BatchedWrite write : batch.getWritesList()) {
            if (write.getCommand().getOpCase() == Command.OpCase.BATCH) {
              throw new IllegalStateException("log entry " + index + " nests a batch in a batch");
            }
            results.add(applyOne(w, write.getCommand(), term, index));
            w.endCommand();
          }
          return results;
        });
  }

  private ApplyResult applyOne(KvStore.Writer w, Command command, long term, long index) {
    AppliedState before = store.applied();
    return switch (command.getOpCase()) {
      case PUT -> PutOp.apply(w, command.getPut(), before, term, index);
      case DELETE -> DeleteOp.apply(w, command.getDelete(), before, term, index);
      case NOOP -> NoopOp.apply(w, before, term, index);
      case READ -> ReadOp.apply(w, command.getRead(), before, term, index);
      case TXN -> TxnOp.apply(w, command.getTxn(), before, term, index);
      case LEASE_GRANT -> LeaseOp.grant(w, command.getLeaseGrant(), before, term, index);
      case LEASE_REVOKE -> LeaseOp.revoke(w, command.getLeaseRevoke(), before, term, index);
      case COMPACT -> CompactOp.apply(w, command.getCompact(), before, term, index);
      case AUTH -> AuthOp.apply(w, command.getAuth(), before, term, index);
      case BATCH, OP_NOT_SET -> throw new IllegalStateException(
          "log entry " + index + " holds a command this version does not know");
    };
  }
}
