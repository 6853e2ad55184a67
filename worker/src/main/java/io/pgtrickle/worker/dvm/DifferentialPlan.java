package io.pgtrickle.worker.dvm;

import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.plan.DefiningQuery;
import io.pgtrickle.worker.dvm.sql.AggregateApplySql;
import io.pgtrickle.worker.dvm.sql.ApplyContext;
import io.pgtrickle.worker.dvm.sql.ApplyCounts;
import io.pgtrickle.worker.dvm.sql.BagApplySql;
import io.pgtrickle.worker.dvm.sql.BoundStatement;
import io.pgtrickle.worker.dvm.sql.FullRefreshSql;
import io.pgtrickle.worker.dvm.sql.PreparedText;
import io.pgtrickle.worker.dvm.sql.SourceDeltaSql;
import io.pgtrickle.worker.dvm.sql.Sql;
import io.pgtrickle.worker.dvm.sql.StorageDdl;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;

/**
 * How one stream table is maintained: its storage layout and the statements that fill it (full
 * recompute) and apply a window of source changes. Statements name the storage table {@code
 * schema.table}; generated SQL is cached per set of changed sources, so a runtime that reuses a
 * connection's prepared statements plans it once.
 */
public final class DifferentialPlan {

  private final DefiningQuery query;
  private final StorageLayout layout;
  private final Map<String, String> applyCache = new ConcurrentHashMap<>();

  DifferentialPlan(DefiningQuery query, StorageLayout layout) {
    this.query = query;
    this.layout = layout;
  }

  public DefiningQuery query() {
    return query;
  }

  public StorageLayout layout() {
    return layout;
  }

  /** The base tables read, each once (the changes to capture). */
  public List<RelationInfo> sources() {
    return query.sources();
  }

  /** Whether applies use MERGE (PostgreSQL 15 and later) or data-modifying CTEs (14). */
  public boolean usesMerge() {
    return query.serverVersion() >= 150000;
  }

  /**
   * Whether the apply is a MERGE that cannot return its counts (PostgreSQL 15 and 16): then {@link
   * #apply} is three statements, the MERGE between two reads of the storage table's transaction
   * statistics ({@link ApplyCounts#statistics}); otherwise it is one statement returning one row of
   * the three counts. {@link DeltaApplier#counts} reads either.
   */
  public boolean countsFromStatistics() {
    return !context(null, new TreeSet<>(), Map.of()).returnsCounts();
  }

  private ApplyContext context(
      String target, SortedSet<Integer> changed, Map<Integer, String> relations) {
    return new ApplyContext(query, layout, target, changed, relations, query.serverVersion());
  }

  /** Creates the storage table with every column and the row-id index. */
  public List<String> createStorage(String schema, String table) {
    return StorageDdl.create(layout, Sql.qualified(schema, table), indexName(table));
  }

  /**
   * Adds the bookkeeping columns and the index to a storage table created with the query's columns
   * (idempotent; takes a short exclusive lock, run it when initializing).
   */
  public List<String> ensureStorage(String schema, String table) {
    return ensureStorage(schema, table, StorageDdl.Existing.NONE);
  }

  /**
   * As {@link #ensureStorage(String, String)}, for a table that has {@code now} (read with {@link
   * #existingStorage}): only the DDL needed.
   */
  public List<String> ensureStorage(String schema, String table, StorageDdl.Existing now) {
    return StorageDdl.ensureHidden(
        layout, Sql.qualified(schema, table), schema, indexName(table), now);
  }

  /** What the storage table has now (hidden columns, fillfactor, the plan's index). */
  public StorageDdl.Existing existingStorage(Connection c, String schema, String table)
      throws SQLException {
    return StorageDdl.existing(c, Sql.qualified(schema, table), indexName(table));
  }

  private static String indexName(String table) {
    String name = table + "__pgt_idx";
    return name.length() > 63
        ? name.substring(0, 40) + "_" + Integer.toHexString(name.hashCode()) + "__pgt_idx"
        : name;
  }

  /** DELETE and INSERT recomputing the stream table with its bookkeeping columns. */
  public List<String> fullRefresh(String schema, String table) {
    return FullRefreshSql.build(query, layout, Sql.qualified(schema, table));
  }

  /**
   * The recompute of a table the caller has just truncated, holding it exclusively (see {@code
   * refresh.ExclusiveRecompute}): the plan's index is dropped, the query's result inserted, and the
   * index built again in one sort (as {@code REFRESH MATERIALIZED VIEW} builds a view's indexes),
   * instead of being maintained row by row. The last statement but one is the INSERT.
   */
  public List<String> refill(String schema, String table) {
    String target = Sql.qualified(schema, table);
    return List.of(
        "DROP INDEX IF EXISTS " + Sql.qualified(schema, indexName(table)),
        FullRefreshSql.insert(query, layout, target),
        StorageDdl.index(layout, target, indexName(table)));
  }

  /**
   * Below this many stored rows a recompute is {@code DELETE} + {@code INSERT} rather than
   * exclusive ({@code TRUNCATE}, refill, index rebuilt): for a small result the lock's round trips,
   * the new files and the catalog changes (after which every cached plan of the table is planned
   * again) cost more than deleting and inserting its rows.
   */
  public static final long SMALL_RESULT = 1_000;

  /**
   * Whether a recompute should take the table exclusively, given the rows its last recompute stored
   * ({@code -1}: unknown, as before the first population).
   */
  public static boolean recomputesExclusively(long lastRecomputeRows) {
    return lastRecomputeRows < 0 || lastRecomputeRows >= SMALL_RESULT;
  }

  /**
   * The statement applying the windows: one MERGE (or, on PostgreSQL 14, one statement of
   * data-modifying CTEs) returning one row: rows inserted, updated, deleted ({@link ApplyCounts});
   * on PostgreSQL 15 and 16, {@link #countsFromStatistics}. Windows of sources without changes may
   * be omitted. The text is PgJDBC's ({@link PreparedText#withCastPlaceholders}): the query's
   * {@code ?} operators are written {@code ??}; {@link #applyText} is the text PostgreSQL runs.
   *
   * @param windows the windows of the sources that have changes; parameters are bound per changed
   *     source, in source order: the relation's own ({@link SourceWindow#relationParameters}, each
   *     placeholder written {@code ?::type}), then the lower and upper bound
   * @throws IllegalArgumentException for a window of a table the query does not read
   */
  public BoundStatement apply(String schema, String table, List<SourceWindow> windows) {
    Built b = built(schema, table, windows);
    String sql =
        applyCache.computeIfAbsent(
            b.key(),
            k -> PreparedText.withCastPlaceholders(build(b.target(), b.changed(), b.relations())));
    return new BoundStatement(sql, b.parameters());
  }

  /**
   * The text of {@link #apply} as PostgreSQL reads it, for display: the query's {@code ?} operators
   * as written (not doubled for the driver), the placeholders {@code ?}.
   */
  String applyText(String schema, String table, List<SourceWindow> windows) {
    Built b = built(schema, table, windows);
    return build(b.target(), b.changed(), b.relations());
  }

  /** What an apply statement is built from, and its parameters. */
  private record Built(
      String target,
      SortedSet<Integer> changed,
      Map<Integer, String> relations,
      String key,
      List<Object> parameters) {}

  private Built built(String schema, String table, List<SourceWindow> windows) {
    SortedSet<Integer> changed = new TreeSet<>();
    Map<Integer, SourceWindow> byIndex = new HashMap<>();
    Map<Integer, String> relations = new HashMap<>();
    for (SourceWindow w : windows) {
      int index = sourceIndex(w.sourceOid());
      changed.add(index);
      byIndex.put(index, w);
      relations.put(
          index,
          w.relation() != null
              ? w.relation()
              : SourceDeltaSql.changeBuffer(query.sources().get(index)));
    }
    if (changed.isEmpty()) {
      throw new IllegalArgumentException("no window to apply");
    }
    String target = Sql.qualified(schema, table);
    String key = target + "|" + changed + "|" + relations;
    List<Object> params = new ArrayList<>();
    for (int i : changed) {
      // Each source's CTE reads its relation (with the relation's own placeholders) and then
      // filters on the window's bounds: the parameters come in that order.
      SourceWindow w = byIndex.get(i);
      params.addAll(w.relationParameters());
      params.addAll(List.of(w.lower(), w.upper()));
    }
    return new Built(target, changed, relations, key, params);
  }

  private String build(String target, SortedSet<Integer> changed, Map<Integer, String> relations) {
    ApplyContext ctx = context(target, changed, relations);
    String sql =
        layout.mode() == StorageLayout.Mode.AGGREGATE
            ? AggregateApplySql.build(ctx)
            : BagApplySql.build(ctx);
    if (ctx.returnsCounts()) {
      return sql;
    }
    String statistics = ApplyCounts.statistics(target);
    return statistics + ";\n" + sql + ";\n" + statistics;
  }

  /** Index of source {@code oid} in {@link #sources()}. */
  public int sourceIndex(long oid) {
    for (int i = 0; i < query.sources().size(); i++) {
      if (query.sources().get(i).oid() == oid) {
        return i;
      }
    }
    throw new IllegalArgumentException("the query does not read the table with oid " + oid);
  }

  /** What the engine does for this stream table, with the generated SQL (every source changed). */
  public String explain(String schema, String table) {
    return Explain.render(this, schema, table);
  }

  /**
   * As {@link #explain}, with each source's window read from {@code window.apply(oid)} (the
   * relation a runtime reads the window from), so the text is the statement that runs.
   *
   * @param placeholders what the statement's {@code ?} placeholders stand for, in order
   */
  public String explainAsRun(
      String schema, String table, LongFunction<String> window, String placeholders) {
    return Explain.render(this, schema, table, window, placeholders);
  }
}
