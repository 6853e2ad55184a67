package io.pgtrickle.worker.dvm.storage;

import io.pgtrickle.worker.dvm.catalog.TypeRef;

/**
 * A column of the stream table's storage.
 *
 * @param name column name
 * @param type column type
 * @param hidden an engine bookkeeping column ({@code __pgt_*}), not part of the query's result
 * @param role what it holds, for documentation and {@code explain}
 */
public record StorageColumn(String name, TypeRef type, boolean hidden, String role) {}
