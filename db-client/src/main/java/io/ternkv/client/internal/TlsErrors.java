package io.ternkv.client.internal;

import io.grpc.Status;
import io.ternkv.client.TransportSecurityException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Turns transport security mismatches into one clear, non-retriable {@link
 * TransportSecurityException}: the Netty and JSSE errors behind an UNAVAILABLE status say what went
 * wrong only to someone who knows TLS, and retrying them cannot help.
 *
 * <p>A plaintext client talking to a TLS node sees only "network closed"; {@link #speaksTls}
 * then asks the node directly with a TLS handshake that trusts anything (nothing is sent over it).
 *
 * <p>Threading: stateless.
 */
final class TlsErrors {
  private TlsErrors() {}

  /**
   * The exception for a failed call over TLS when the failure is about TLS, else null.
   *
   * @param tls what the client was configured with, for the message
   */
  static TransportSecurityException overTls(Throwable error, String address, String tls) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      String type = t.getClass().getSimpleName();
      String m = t.getMessage() == null ? "" : t.getMessage();
      String lower = m.toLowerCase(Locale.ROOT);
      if (type.equals("NotSslRecordException")) {
        return new TransportSecurityException(
            address + " answered in plaintext, not TLS: this client uses " + tls
                + "; connect without TLS (no --tls-ca), or start the node with --tls-cert and --tls-key",
            error);
      }
      if (!(t instanceof SSLException)) {
        continue;
      }
      if (lower.contains("received fatal alert")) {
        String alert = m.substring(lower.indexOf("received fatal alert") + "received fatal alert".length()).replace(":", "").trim();
        if (alert.startsWith("certificate") || alert.equals("bad_certificate") || alert.equals("unknown_ca")
            || alert.equals("access_denied") || alert.equals("handshake_failure")) {
          return new TransportSecurityException(
              address + " refused the TLS handshake (" + alert + "): the node requires a client certificate"
                  + " signed by its CA; give one (--tls-cert and --tls-key), this client uses " + tls,
              error);
        }
        if (alert.equals("protocol_version")) {
          return new TransportSecurityException(
              address + " and this client share no TLS version (TernKV speaks TLS 1.2 and 1.3)", error);
        }
        return new TransportSecurityException(address + ": TLS handshake failed (" + alert + "); this client uses " + tls, error);
      }
      if (lower.contains("no subject alternative") || lower.contains("no name matching")) {
        return new TransportSecurityException(
            address + " presented a TLS certificate that does not name this address (" + m
                + "): connect to a name in its certificate, or reissue it with this one (tern certs --hosts)",
            error);
      }
      if (lower.contains("pkix") || lower.contains("certification path") || lower.contains("certificate_unknown")) {
        return new TransportSecurityException(
            address + " presented a TLS certificate that is not signed by the CA this client trusts (" + tls
                + "); give the cluster's CA (--tls-ca)",
            error);
      }
      if (lower.contains("unsupported or unrecognized ssl message")) {
        return new TransportSecurityException(
            address + " answered in plaintext, not TLS: this client uses " + tls
                + "; connect without TLS (no --tls-ca), or start the node with --tls-cert and --tls-key",
            error);
      }
    }
    return null;
  }

  /**
   * Whether a plaintext call's failure may mean the node speaks TLS: the connection was made and
   * then closed before any HTTP/2 frame, as a TLS server does with a plaintext hello.
   */
  static boolean maybeTlsServer(Throwable error) {
    Status s = Status.fromThrowable(error);
    if (s.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t.getClass().getSimpleName().contains("ConnectException")) {
        return false;
      }
    }
    String d = s.getDescription() == null ? "" : s.getDescription();
    return d.contains("Network closed for unknown reason") || d.contains("Connection closed") || d.contains("connection reset");
  }

  /** The exception for a plaintext client whose node turned out to speak TLS. */
  static TransportSecurityException plaintextToTls(String address, Throwable error) {
    return new TransportSecurityException(
        address + " requires TLS but this client connects in plaintext: give the cluster's CA"
            + " (tern shell --tls-ca FILE, TernClient.builder().tls(caFile))",
        error);
  }

  /**
   * Asks {@code address} for a TLS handshake, trusting any certificate; true when it answered as
   * a TLS server (completed the handshake or sent a TLS alert).
   */
  static boolean speaksTls(String address, int timeoutMillis) {
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(address.substring(colon + 1));
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new TrustAnything()}, null);
      try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket()) {
        socket.connect(new InetSocketAddress(host, port), timeoutMillis);
        socket.setSoTimeout(timeoutMillis);
        socket.startHandshake();
        return true;
      }
    } catch (SSLException e) {
      return String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("received fatal alert");
    } catch (Exception e) {
      return false;
    }
  }

  /** For the probe only: it sends nothing, so whom it talks to does not matter. */
  private static final class TrustAnything implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
