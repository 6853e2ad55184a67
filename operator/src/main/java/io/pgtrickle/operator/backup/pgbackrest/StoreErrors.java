package io.pgtrickle.operator.backup.pgbackrest;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * pgBackRest's errors from an object store (S3, GCS, Azure), made fit for a status message. Pure.
 *
 * <p>pgBackRest reports a failed request with the request and the response in full: {@code HTTP
 * request failed with 404 (Not Found):}, then {@code *** Path/Query ***}, {@code *** Request
 * Headers ***}, {@code *** Response Headers ***} and {@code *** Response Content ***} sections,
 * about 20 lines (a user trial found them in a condition's message). The store's own answer is in
 * the content: S3 and Azure send XML with {@code <Code>} and {@code <Message>}, GCS JSON with
 * {@code "message"}.
 */
public final class StoreErrors {

  private static final Pattern XML_CODE = Pattern.compile("<Code>([^<]{1,100})</Code>");
  private static final Pattern XML_MESSAGE = Pattern.compile("<Message>([^<]{1,300})</Message>");
  private static final Pattern JSON_MESSAGE =
      Pattern.compile("\"message\"\\s*:\\s*\"([^\"]{1,300})\"");
  private static final String CONTENT = "*** Response Content ***";

  private StoreErrors() {}

  /**
   * The error without the request's and response's dump: its first line, and the store's code and
   * message when the response carries them, e.g. {@code HTTP request failed with 404 (Not Found):
   * NoSuchBucket: The specified bucket does not exist}. Messages without a dump come back as they
   * are.
   *
   * @param pgbackrest pgBackRest's message
   * @return the short form
   */
  public static String concise(String pgbackrest) {
    if (pgbackrest == null || !pgbackrest.contains("*** ")) {
      return pgbackrest;
    }
    String first = pgbackrest.lines().findFirst().orElse("").strip();
    if (first.endsWith(":")) {
      first = first.substring(0, first.length() - 1);
    }
    int at = pgbackrest.indexOf(CONTENT);
    String content = at < 0 ? "" : pgbackrest.substring(at + CONTENT.length());
    String code = group(XML_CODE, content);
    String message = group(XML_MESSAGE, content);
    if (message == null) {
      message = group(JSON_MESSAGE, content);
    }
    StringBuilder out = new StringBuilder(first);
    if (code != null || message != null) {
      out.append(": ");
      if (code != null) {
        out.append(code);
      }
      if (message != null) {
        out.append(code != null ? ": " : "").append(message);
      }
    }
    return out.toString();
  }

  /**
   * Whether the store answered that the bucket (Azure: container) does not exist: it was reached,
   * and pgBackRest does not create buckets.
   */
  public static boolean bucketMissing(String pgbackrest) {
    return pgbackrest != null
        && (pgbackrest.contains("<Code>NoSuchBucket</Code>")
            || pgbackrest.contains("<Code>ContainerNotFound</Code>")
            || (pgbackrest.contains("failed with 404")
                && pgbackrest.toLowerCase(java.util.Locale.ROOT).contains("bucket")
                && pgbackrest.toLowerCase(java.util.Locale.ROOT).contains("not found")));
  }

  private static String group(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    return m.find() ? m.group(1).strip() : null;
  }
}
