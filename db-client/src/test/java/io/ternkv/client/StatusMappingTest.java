package io.ternkv.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.grpc.Status;
import io.ternkv.client.internal.StatusMapping;
import org.junit.jupiter.api.Test;

class StatusMappingTest {
  static TernException map(Status s) {
    return StatusMapping.toException(s.asRuntimeException(), "127.0.0.1:1");
  }

  @Test
  void eachStatusHasItsCodeAndRetriability() {
    assertInstanceOf(InvalidArgumentException.class, map(Status.INVALID_ARGUMENT));
    assertInstanceOf(UnavailableException.class, map(Status.UNAVAILABLE));
    assertInstanceOf(ResourceExhaustedException.class, map(Status.RESOURCE_EXHAUSTED));
    assertEquals(ErrorCode.TIMEOUT, map(Status.DEADLINE_EXCEEDED).code());
    assertEquals(ErrorCode.FAILED_PRECONDITION, map(Status.FAILED_PRECONDITION).code());
    assertEquals(ErrorCode.OUT_OF_RANGE, map(Status.OUT_OF_RANGE).code());
    assertEquals(ErrorCode.UNAUTHENTICATED, map(Status.UNAUTHENTICATED).code());
    assertEquals(ErrorCode.PERMISSION_DENIED, map(Status.PERMISSION_DENIED).code());
    org.junit.jupiter.api.Assertions.assertInstanceOf(AuthenticationException.class, map(Status.UNAUTHENTICATED));
    org.junit.jupiter.api.Assertions.assertInstanceOf(PermissionDeniedException.class, map(Status.PERMISSION_DENIED));
    org.junit.jupiter.api.Assertions.assertFalse(map(Status.PERMISSION_DENIED).isRetriable());
    assertEquals(ErrorCode.DATA_LOSS, map(Status.DATA_LOSS).code());
    assertEquals(ErrorCode.INTERNAL, map(Status.INTERNAL).code());
    assertEquals(ErrorCode.INTERNAL, map(Status.UNIMPLEMENTED).code());
    assertEquals(true, map(Status.UNAVAILABLE).isRetriable());
    assertEquals(true, map(Status.RESOURCE_EXHAUSTED).isRetriable());
    assertEquals(false, map(Status.INVALID_ARGUMENT).isRetriable());
    assertEquals(false, map(Status.INTERNAL).isRetriable());
  }

  @Test
  void aConnectionClosedWhileSendingIsRetriableButOtherUnknownErrorsAreNot() {
    TernException lost =
        map(Status.UNKNOWN.withDescription("channel closed").withCause(new java.nio.channels.ClosedChannelException()));
    assertInstanceOf(UnavailableException.class, lost);
    assertEquals(true, lost.isRetriable());
    TernException other = map(Status.UNKNOWN.withDescription("boom"));
    assertEquals(ErrorCode.INTERNAL, other.code());
    assertEquals(false, other.isRetriable());
  }

  @Test
  void notLeaderDetailBecomesNotLeaderExceptionWithTheLeader() {
    TernException e = StatusMapping.toException(FakeNode.notLeader("127.0.0.1:7009"), "127.0.0.1:1");
    NotLeaderException nle = assertInstanceOf(NotLeaderException.class, e);
    assertEquals("n9", nle.leaderId().orElseThrow());
    assertEquals("127.0.0.1:7009", nle.leaderAddress().orElseThrow());
    assertEquals(true, nle.isRetriable());
  }
}
