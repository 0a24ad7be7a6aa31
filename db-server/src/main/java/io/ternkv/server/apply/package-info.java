/**
 * Deterministic execution of log commands, one file per verb, and the request limits checked
 * before a command may enter the log.
 */
package io.ternkv.server.apply;
