package io.pgtrickle.operator.postgres.sidecars;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of one SCRAM-SHA-256 exchange (RFC 5802, RFC 7677) without channel binding, as
 * PostgreSQL and PgBouncer speak it (gs2 header {@code n,,}, the user name left empty: the server
 * takes it from the startup message). Pure but for the random nonce: {@link #firstMessage()}, then
 * {@link #finalMessage(String)} for the server's first message, then {@link #verifyServer(String)}
 * for its final one. Errors: {@link IllegalArgumentException} for a server message that breaks the
 * protocol (a nonce that does not extend ours, a bad signature).
 */
final class ScramClient {

  private static final String GS2_HEADER = "n,,";

  private final String password;
  private final String clientFirstBare;
  private String authMessage;
  private byte[] saltedPassword;

  /** A new exchange for {@code password} with a random nonce. */
  ScramClient(String password) {
    this(password, "", randomNonce());
  }

  /** An exchange with a given user name and nonce (the RFC's test vectors). */
  ScramClient(String password, String user, String nonce) {
    this.password = password;
    this.clientFirstBare = "n=" + user + ",r=" + nonce;
  }

  /** The client-first-message. */
  String firstMessage() {
    return GS2_HEADER + clientFirstBare;
  }

  /** The client-final-message for the server-first-message {@code serverFirst}. */
  String finalMessage(String serverFirst) {
    Map<String, String> fields = fields(serverFirst);
    String nonce = fields.get("r");
    String clientNonce = clientFirstBare.substring(clientFirstBare.indexOf(",r=") + 3);
    if (nonce == null || !nonce.startsWith(clientNonce) || !fields.containsKey("s")) {
      throw new IllegalArgumentException("not a SCRAM server-first-message: " + serverFirst);
    }
    int iterations = Integer.parseInt(fields.get("i"));
    byte[] salt = Base64.getDecoder().decode(fields.get("s"));
    String withoutProof =
        "c="
            + Base64.getEncoder().encodeToString(GS2_HEADER.getBytes(StandardCharsets.US_ASCII))
            + ",r="
            + nonce;
    authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
    saltedPassword = pbkdf2(password, salt, iterations);
    byte[] clientKey = hmac(saltedPassword, "Client Key");
    byte[] signature = hmac(sha256(clientKey), authMessage);
    byte[] proof = new byte[clientKey.length];
    for (int i = 0; i < proof.length; i++) {
      proof[i] = (byte) (clientKey[i] ^ signature[i]);
    }
    return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
  }

  /** Checks the server-final-message: the server knew the password too. */
  void verifyServer(String serverFinal) {
    String expected =
        Base64.getEncoder().encodeToString(hmac(hmac(saltedPassword, "Server Key"), authMessage));
    if (!("v=" + expected).equals(serverFinal.strip())) {
      throw new IllegalArgumentException("the server's SCRAM signature does not match");
    }
  }

  private static Map<String, String> fields(String message) {
    Map<String, String> fields = new HashMap<>();
    for (String part : message.split(",")) {
      int eq = part.indexOf('=');
      if (eq == 1) {
        fields.put(part.substring(0, 1), part.substring(2));
      }
    }
    return fields;
  }

  private static String randomNonce() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
          .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256))
          .getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no PBKDF2WithHmacSHA256: " + e, e);
    }
  }

  private static byte[] hmac(byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no HmacSHA256: " + e, e);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no SHA-256: " + e, e);
    }
  }
}
