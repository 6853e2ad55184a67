package io.pgtrickle.operator.postgres.spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The parameters one PostgreSQL major knows, as its {@code pg_settings} lists them: read from the
 * operator's resource {@code postgresql-parameters/<major>.tsv}, which {@code
 * hack/pg-parameters.sh} (target {@code make pg-parameters}) dumps from the real server binaries.
 */
public final class PostgresqlCatalog {

  /** Where the per-major files are, on the class path. */
  public static final String RESOURCE_DIR = "postgresql-parameters/";

  private static final String HEADER =
      "name\tcontext\tvartype\tunit\tmin_val\tmax_val\tenumvals\thidden_enumvals\tpatroni";

  private static final Map<Integer, PostgresqlCatalog> LOADED = new ConcurrentHashMap<>();

  /**
   * One parameter.
   *
   * @param name lower case, as {@code pg_settings} spells it
   * @param context {@code pg_settings.context}: internal, postmaster, sighup, user, ...
   * @param vartype bool, enum, integer, real or string
   * @param unit {@code pg_settings.unit}: B, kB, MB, 8kB (a block), ms, s, min, or empty
   * @param min {@code pg_settings.min_val} (integer and real only, else empty)
   * @param max {@code pg_settings.max_val} (integer and real only, else empty)
   * @param enumValues the spellings {@code pg_settings.enumvals} lists that Patroni passes on (may
   *     include "")
   * @param hiddenEnumValues further spellings the server accepts but does not list, and Patroni
   *     passes on (e.g. synchronous_commit=true; not wal_level=hot_standby, which Patroni drops)
   * @param patroniDrops Patroni drops the parameter whatever its value: it has no validator for the
   *     major and {@code postgres --describe-config} does not list it (developer options such as
   *     debug_discard_caches), or it is one of Patroni's recovery parameters
   */
  public record Parameter(
      String name,
      String context,
      String vartype,
      String unit,
      String min,
      String max,
      List<String> enumValues,
      List<String> hiddenEnumValues,
      boolean patroniDrops) {

    /** Fixed when PostgreSQL is built or initialized: no configuration file can change it. */
    public boolean readOnly() {
      return "internal".equals(context);
    }
  }

  private final int major;
  private final Map<String, Parameter> parameters;

  private PostgresqlCatalog(int major, Map<String, Parameter> parameters) {
    this.major = major;
    this.parameters = parameters;
  }

  /**
   * The catalog of a major.
   *
   * @throws IllegalArgumentException when the operator has no catalog for it (not 14 to 18)
   */
  public static PostgresqlCatalog of(int major) {
    return LOADED.computeIfAbsent(major, PostgresqlCatalog::load);
  }

  /** Reads a catalog in the format {@code hack/pg-parameters.sh} writes. */
  public static PostgresqlCatalog parse(int major, InputStream tsv) throws IOException {
    Map<String, Parameter> parameters = new LinkedHashMap<>();
    BufferedReader reader = new BufferedReader(new InputStreamReader(tsv, StandardCharsets.UTF_8));
    String header = reader.readLine();
    if (!HEADER.equals(header)) {
      throw new IOException("PostgreSQL " + major + " catalog: unexpected header " + header);
    }
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      String[] f = line.split("\t", -1);
      if (f.length != 9) {
        throw new IOException("PostgreSQL " + major + " catalog: not 9 fields: " + line);
      }
      parameters.put(
          f[0],
          new Parameter(
              f[0],
              f[1],
              f[2],
              f[3],
              f[4],
              f[5],
              values(f[6]),
              values(f[7]),
              "drops".equals(f[8])));
    }
    return new PostgresqlCatalog(major, Map.copyOf(parameters));
  }

  private static PostgresqlCatalog load(int major) {
    String resource = RESOURCE_DIR + major + ".tsv";
    try (InputStream in = PostgresqlCatalog.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no parameter catalog for PostgreSQL " + major);
      }
      return parse(major, in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> values(String field) {
    return field.isEmpty() ? List.of() : Arrays.asList(field.split(",", -1));
  }

  /** The major this catalog describes. */
  public int major() {
    return major;
  }

  /** Every parameter name, lower case. */
  public java.util.Set<String> names() {
    return parameters.keySet();
  }

  /** A parameter by name, compared as PostgreSQL does: case-insensitively. */
  public Optional<Parameter> find(String name) {
    return Optional.ofNullable(parameters.get(name.toLowerCase(Locale.ROOT)));
  }
}
