package io.pgtrickle.worker.dvm.storage;

import io.pgtrickle.worker.dvm.plan.AggCall;

/**
 * Where an aggregate's running state lives in the storage table.
 *
 * @param call the aggregate call
 * @param index its 1-based number (hidden column suffixes)
 * @param value the column holding its current value (a visible column when the select list shows
 *     the call itself, else {@code __pgt_agg_<n>})
 * @param nonNull {@code __pgt_nn_<n>}: number of non-NULL inputs (SUM, AVG), or null
 * @param sum {@code __pgt_sum_<n>}: AVG's running sum (numeric), or null
 * @param scale {@code __pgt_scale_<n>}: largest display scale of numeric inputs (SUM and AVG of
 *     numeric without a fixed scale, so that the result's scale equals recomputation's), or null
 */
public record AggState(
    AggCall call, int index, String value, String nonNull, String sum, String scale) {}
