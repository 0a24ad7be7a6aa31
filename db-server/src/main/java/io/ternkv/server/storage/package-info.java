/**
 * The state machine's data on H2 MVStore: the only code that touches MVStore, including the
 * snapshot file format.
 */
package io.ternkv.server.storage;
