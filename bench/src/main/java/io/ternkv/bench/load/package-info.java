/**
 * The closed-loop load driver ({@link io.ternkv.bench.load.LoadDriver}): keeps a fixed number of
 * requests in flight against TernKV or etcd, phase by phase, records latencies in HdrHistogram and
 * writes one CSV row per phase; {@link io.ternkv.bench.load.CompareReport} turns the rows of
 * several rounds into medians, TernKV/etcd ratios, a markdown table and a chart.
 */
package io.ternkv.bench.load;
