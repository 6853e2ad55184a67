package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Short content hashes of desired state, to tell cheaply whether something changed. */
public final class Hashes {

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private Hashes() {}

  /** The first 16 hex digits of SHA-256 over the object's JSON form. */
  public static String of(Object value) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] hash = digest.digest(JSON.asJson(value).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
