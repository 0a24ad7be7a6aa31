/**
 * {@code tern certs}: a development certificate authority and the node and client certificates
 * a TLS cluster needs, made with Bouncy Castle and written as PEM files. The only code that
 * touches Bouncy Castle.
 */
package io.ternkv.shell.certs;
