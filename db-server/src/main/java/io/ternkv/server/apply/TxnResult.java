package io.ternkv.server.apply;

import io.ternkv.server.storage.KvStore;
import java.util.List;

/**
 * What a transaction did.
 *
 * @param succeeded whether every compare held
 * @param steps one result per step of the branch that ran
 */
public record TxnResult(boolean succeeded, List<StepResult> steps) {
  /**
   * One step's result.
   *
   * @param kind which operation the step was
   * @param deleted keys a delete step removed
   * @param read what a range step read; null for other steps
   */
  public record StepResult(Kind kind, long deleted, KvStore.RangePage read) {
    /** The operation of a step. */
    public enum Kind {
      PUT,
      DELETE,
      RANGE
    }
  }
}
