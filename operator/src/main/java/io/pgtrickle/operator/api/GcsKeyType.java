package io.pgtrickle.operator.api;

/**
 * How pgBackRest authenticates to Google Cloud Storage: with a service account key ({@code
 * key.json} of the credentials Secret; pgBackRest signs a JWT with it and exchanges it at the key's
 * {@code token_uri}) or with an OAuth 2 access token ({@code token} of the Secret, used as it is).
 */
public enum GcsKeyType {
  service,
  token
}
