package io.ternkv.server.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The PEM files of one TLS endpoint.
 *
 * @param cert this node's certificate (chain), leaf first
 * @param key its private key, unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY})
 * @param ca the certificates trusted to sign the other side's certificate; null to trust the
 *     JVM's default trust store (only allowed where the other side needs no certificate)
 */
public record TlsFiles(Path cert, Path key, Path ca) {
  /** Checks that the certificate and key are given. */
  public TlsFiles {
    Objects.requireNonNull(cert, "cert");
    Objects.requireNonNull(key, "key");
  }
}
