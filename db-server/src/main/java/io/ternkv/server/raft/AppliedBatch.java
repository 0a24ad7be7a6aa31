package io.ternkv.server.raft;

import io.ternkv.server.apply.ApplyResult;
import java.util.List;

/** What the state machine returns for an applied batch entry: one result per write, in order. */
record AppliedBatch(List<ApplyResult> results, long term) {}
