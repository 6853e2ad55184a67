package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import java.util.List;

/**
 * A defining query the engine can maintain, resolved against the catalog.
 *
 * @param root the query tree
 * @param columns the stream table's visible columns (names, types)
 * @param sources the base tables it reads, each once; {@code FromNode.Table.sourceIndex} points
 *     here
 * @param normalizedSql the query as PostgreSQL normalized it (schema-qualified), for full
 *     recomputes and display
 * @param serverVersion {@code server_version_num} of the server analyzed on (MERGE from 150000)
 * @param usedColumns per source: the columns the query reads (with the primary key), in table
 *     order, or null for all
 */
public record DefiningQuery(
    QueryNode root,
    List<ColumnInfo> columns,
    List<RelationInfo> sources,
    String normalizedSql,
    int serverVersion,
    List<List<String>> usedColumns) {}
