package io.pgtrickle.operator.backup.pgbackrest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoreErrorsTest {

  /**
   * As {@code pgbackrest info --output=json} reported s3proxy's answer for a bucket that does not
   * exist (the repository's {@code status.message}, pgBackRest 2.45 on the host, 2026-12-07).
   */
  private static final String NO_SUCH_BUCKET =
      String.join(
          "\n",
          "[ProtocolError] HTTP request failed with 404 (Not Found):",
          "*** Path/Query ***:",
          "GET /nobucket/?delimiter=%2F&list-type=2&prefix=pgbackrest%2Ft%2Fx%2Fbackup%2F",
          "*** Request Headers ***:",
          "authorization: <redacted>",
          "content-length: 0",
          "host: localhost:39417",
          "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "x-amz-date: 20261207T124501Z",
          "*** Response Headers ***:",
          "content-type: application/xml; charset=UTF-8",
          "date: Mon, 07 Dec 2026 12:45:01 GMT",
          "server: Jetty(11.0.24)",
          "transfer-encoding: chunked",
          "*** Response Content ***:",
          "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchBucket</Code><Message>The"
              + " specified bucket does not exist</Message><BucketName>nobucket</BucketName>"
              + "<RequestId>4442587FB7D0A2F9</RequestId></Error>");

  @Test
  void theDumpBecomesItsFirstLineAndTheStoresAnswer() {
    assertThat(StoreErrors.concise(NO_SUCH_BUCKET))
        .isEqualTo(
            "[ProtocolError] HTTP request failed with 404 (Not Found): NoSuchBucket: The specified"
                + " bucket does not exist");
    assertThat(StoreErrors.bucketMissing(NO_SUCH_BUCKET)).isTrue();
  }

  @Test
  void aJsonAnswerAndAnAnswerWithoutCodeKeepTheirMessage() {
    String gcs =
        "HTTP request failed with 403 (Forbidden):\n*** Path/Query ***:\nGET /b\n"
            + "*** Response Content ***:\n{\"error\": {\"code\": 403, \"message\": \"no access\"}}";
    assertThat(StoreErrors.concise(gcs))
        .isEqualTo("HTTP request failed with 403 (Forbidden): no access");
    assertThat(StoreErrors.bucketMissing(gcs)).isFalse();
    String bare = "HTTP request failed with 500 (Server Error):\n*** Path/Query ***:\nGET /b\n";
    assertThat(StoreErrors.concise(bare)).isEqualTo("HTTP request failed with 500 (Server Error)");
  }

  @Test
  void messagesWithoutADumpStayAsTheyAre() {
    String refused =
        "[HostConnectError] unable to connect to 'localhost:39499 (127.0.0.1)': [111] Connection"
            + " refused";
    assertThat(StoreErrors.concise(refused)).isEqualTo(refused);
    assertThat(StoreErrors.bucketMissing(refused)).isFalse();
    assertThat(StoreErrors.concise(null)).isNull();
  }
}
