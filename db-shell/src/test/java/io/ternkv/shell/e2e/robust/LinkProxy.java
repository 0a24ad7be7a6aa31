package io.ternkv.shell.e2e.robust;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault-injecting TCP forwarder for the Raft connections ONE node (the dialer) opens to ANOTHER
 * (the target): the dialer's members list names this proxy as the target's Raft address, so every
 * connection accepted here comes from that dialer (see {@link FaultyCluster} for why Ratis allows a
 * different list per node). It listens on 127.0.0.1 on an OS-chosen port.
 *
 * <p>Each accepted connection is pumped by two threads, one per direction. {@link #forward} controls
 * the bytes the dialer sends (its requests), {@link #backward} the bytes the target sends back on
 * the same connection (its replies). A blocked direction stops reading, so TCP's flow control holds
 * the sender back, as on a network that loses every packet until it heals; the bytes are delivered
 * late, after {@link Direction#pass()}, unless a side gave up and closed the connection meanwhile. A
 * delay holds each chunk until that long after it was read. {@link #resetConnections()} closes the
 * open connections, as a middlebox that sends RST would.
 *
 * <p>Thread-safe.
 */
final class LinkProxy implements AutoCloseable {
  /** One direction of traffic through this proxy. */
  static final class Direction {
    private final Object lock = new Object();
    private boolean blocked;
    private long delayNanos;
    private final AtomicLong bytes = new AtomicLong();

    /** Holds back every byte until {@link #pass()}. */
    void block() {
      synchronized (lock) {
        blocked = true;
      }
    }

    /** Lets bytes flow again, also those held back. */
    void pass() {
      synchronized (lock) {
        blocked = false;
        lock.notifyAll();
      }
    }

    /** Delivers each chunk no earlier than {@code delay} after it was read; zero for none. */
    void delay(Duration delay) {
      synchronized (lock) {
        delayNanos = delay.toNanos();
        lock.notifyAll();
      }
    }

    boolean blocked() {
      synchronized (lock) {
        return blocked;
      }
    }

    /** Bytes delivered in this direction so far. */
    long bytes() {
      return bytes.get();
    }

    /** Waits until a chunk read at {@code readAt} may be delivered. */
    private void awaitPassage(long readAt) throws InterruptedException {
      synchronized (lock) {
        while (true) {
          if (blocked) {
            lock.wait();
            continue;
          }
          long wait = readAt + delayNanos - System.nanoTime();
          if (wait <= 0) {
            return;
          }
          lock.wait(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
    }
  }

  final String from;
  final String to;
  /** The dialer's requests. */
  final Direction forward = new Direction();
  /** The target's replies on the dialer's connections. */
  final Direction backward = new Direction();

  private final InetSocketAddress target;
  private final ServerSocket listener;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private volatile boolean closed;
  private final Thread acceptor;

  /**
   * Starts listening.
   *
   * @param from the dialing node's id (for names and reports)
   * @param to the target node's id
   * @param target the target's real Raft address
   */
  LinkProxy(String from, String to, InetSocketAddress target) throws IOException {
    this.from = from;
    this.to = to;
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "proxy-" + from + "-" + to);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port the dialer is told is the target's Raft port. */
  int port() {
    return listener.getLocalPort();
  }

  /** Connections accepted so far. */
  long accepted() {
    return accepted.get();
  }

  /** Closes every open connection through this proxy (new ones are accepted as before). */
  void resetConnections() {
    for (Socket s : open) {
      closeQuietly(s);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket inbound;
      try {
        inbound = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      Socket outbound = new Socket();
      try {
        inbound.setTcpNoDelay(true);
        outbound.setTcpNoDelay(true);
        outbound.connect(target, 5_000);
      } catch (IOException e) {
        // The target is down: the dialer sees its connection closed, like a refused connect.
        closeQuietly(inbound);
        closeQuietly(outbound);
        continue;
      }
      open.add(inbound);
      open.add(outbound);
      pump(inbound, outbound, forward, "fwd");
      pump(outbound, inbound, backward, "back");
    }
  }

  private void pump(Socket src, Socket dst, Direction direction, String name) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[64 * 1024];
              try (InputStream in = src.getInputStream(); OutputStream out = dst.getOutputStream()) {
                while (true) {
                  int n = in.read(buf);
                  if (n < 0) {
                    break;
                  }
                  direction.awaitPassage(System.nanoTime());
                  out.write(buf, 0, n);
                  out.flush();
                  direction.bytes.addAndGet(n);
                }
              } catch (SocketException e) {
                // reset or closed by the other pump
              } catch (IOException | InterruptedException e) {
                // the connection ends either way
              } finally {
                closeQuietly(src);
                closeQuietly(dst);
                open.remove(src);
                open.remove(dst);
              }
            },
            "proxy-" + from + "-" + to + "-" + name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // nothing to do
    }
    forward.pass();
    backward.pass();
    resetConnections();
  }

  @Override
  public String toString() {
    return from + "->" + to + " :" + port() + " -> " + target;
  }
}
