package io.pgtrickle.worker.catalog;

/**
 * A separate JVM that installs the catalog, for the test of concurrent installs from several
 * processes: {@code java MigrateProcess <jdbc-url> <user>} prints {@code applied=<n>}.
 */
public final class MigrateProcess {

  private MigrateProcess() {}

  public static void main(String[] args) {
    CatalogMigrations.Result r = CatalogMigrations.migrate(args[0], args[1], null);
    System.out.println("applied=" + r.migrationsApplied());
  }
}
