/**
 * The TernKV Java client: {@link io.ternkv.client.TernClient} and the values and exceptions of
 * its API. Generated protocol types never appear here.
 */
package io.ternkv.client;
