package io.pgtrickle.worker.catalog;

/** The catalog could not be installed or upgraded; the message names the cause. */
public final class CatalogMigrationException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public CatalogMigrationException(String message, Throwable cause) {
    super(message, cause);
  }
}
