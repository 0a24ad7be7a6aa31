package io.ternkv.server.raft;

import io.ternkv.server.apply.ApplyResult;

/** What the state machine returns for an applied entry: the result and the entry's term. */
record Applied(ApplyResult result, long term) {}
