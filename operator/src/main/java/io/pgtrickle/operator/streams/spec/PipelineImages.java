package io.pgtrickle.operator.streams.spec;

/**
 * The operator-wide default images of the CDC consumers and the workers, for resources that do not
 * name their own: environment variables {@code PG_TRICKLE_CDC_IMAGE} and {@code
 * PG_TRICKLE_WORKER_IMAGE}, else the project's images of this version.
 *
 * @param cdc the CDC consumer image
 * @param worker the worker image
 */
public record PipelineImages(String cdc, String worker) {

  public static final String CDC_ENV = "PG_TRICKLE_CDC_IMAGE";
  public static final String WORKER_ENV = "PG_TRICKLE_WORKER_IMAGE";
  public static final String DEFAULT_CDC = "ghcr.io/pg-trickle/cdc-consumer:0.1.0";
  public static final String DEFAULT_WORKER = "ghcr.io/pg-trickle/worker:0.1.0";

  /** The operator's images: its environment, read once. */
  public static final PipelineImages OPERATOR = fromEnvironment();

  /** From the operator's environment. */
  public static PipelineImages fromEnvironment() {
    return new PipelineImages(
        System.getenv().getOrDefault(CDC_ENV, DEFAULT_CDC),
        System.getenv().getOrDefault(WORKER_ENV, DEFAULT_WORKER));
  }

  /** The project's images of this version. */
  public static PipelineImages defaults() {
    return new PipelineImages(DEFAULT_CDC, DEFAULT_WORKER);
  }
}
