package io.pgtrickle.worker.dvm.random;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Arbitraries of {@link Scenario}s: initial rows, and batches of writes with every kind of change.
 */
public final class ScenarioGen {

  private ScenarioGen() {}

  public static Arbitrary<Scenario> scenarios(QueryGen.Shape shape) {
    Arbitrary<Integer> variant = Arbitraries.integers().between(0, Schemas.VARIANTS - 1);
    Arbitrary<List<Op>> initial = insert().list().ofMinSize(0).ofMaxSize(25);
    Arbitrary<List<Op>> tx = op().list().ofMinSize(1).ofMaxSize(5);
    Arbitrary<List<List<Op>>> batch = tx.list().ofMinSize(1).ofMaxSize(3);
    return Combinators.combine(
            variant, QueryGen.query(shape), initial, batch.list().ofMinSize(1).ofMaxSize(4))
        .as(Scenario::new);
  }

  static Arbitrary<Op> insert() {
    Arbitrary<Op> a =
        Combinators.combine(
                Values.id(), Values.small(), Values.text(), Values.nIndex(), Values.v(), Values.f())
            .as(Op.InsertA::new);
    Arbitrary<Op> b =
        Combinators.combine(Values.id(), Values.small(), Values.small(), Values.text())
            .as(Op.InsertB::new);
    Arbitrary<Op> c =
        Combinators.combine(Values.small(), Values.v(), Values.text()).as(Op.InsertC::new);
    Arbitrary<Op> d =
        Combinators.combine(Values.id(), Values.small(), Values.z()).as(Op.InsertD::new);
    return Arbitraries.frequencyOf(Tuple.of(4, a), Tuple.of(3, b), Tuple.of(3, c), Tuple.of(2, d));
  }

  static Arbitrary<Op> op() {
    Arbitrary<Integer> id = Values.id();
    Arbitrary<Integer> k = Arbitraries.integers().between(-1, 4);
    Arbitrary<Op> update =
        Combinators.combine(Arbitraries.integers().between(0, 13), id, k)
            .as(
                (which, i, kk) ->
                    switch (which) {
                      case 0 -> new Op.Update("a", "v = v + 1", "id = " + i);
                      case 1 -> new Op.Update("a", "g = 'y'", "k = " + kk);
                      case 2 -> new Op.Update("a", "k = NULL", "id = " + i);
                      case 3 ->
                          new Op.Update(
                              "a",
                              "id = id + 20",
                              "id = "
                                  + i
                                  + " AND NOT EXISTS (SELECT 1 FROM {T}.a x WHERE x.id = "
                                  + i
                                  + " + 20)");
                      case 4 -> new Op.Update("a", "n = n * 2, f = f + 0.5", "v > " + kk);
                      case 5 -> new Op.Update("a", "k = k + 1", "g = 'x'");
                      case 6 -> new Op.Update("b", "k = k + 1", "id = " + i);
                      case 7 -> new Op.Update("b", "w = w - 1", "t = 'x'");
                      case 8 ->
                          new Op.Update(
                              "b",
                              "id = id + 20",
                              "id = "
                                  + i
                                  + " AND NOT EXISTS (SELECT 1 FROM {T}.b x WHERE x.id = "
                                  + i
                                  + " + 20)");
                      case 9 -> new Op.Update("c", "x = x + 1", "k = " + kk);
                      case 10 -> new Op.Update("c", "y = NULL", "x > 2");
                      case 11 -> new Op.Update("d", "bid = bid + 1", "id = " + i);
                      case 12 -> new Op.Update("d", "z = z + 1", "bid = " + kk);
                      default -> new Op.Update("a", "v = NULL, g = NULL", "id = " + i);
                    });
    Arbitrary<Op> delete =
        Combinators.combine(Arbitraries.integers().between(0, 5), id, k)
            .as(
                (which, i, kk) ->
                    switch (which) {
                      case 0 -> new Op.Delete("a", "id = " + i);
                      case 1 -> new Op.Delete("a", "k = " + kk);
                      case 2 -> new Op.Delete("b", "id = " + i);
                      case 3 -> new Op.Delete("c", "k = " + kk + " AND x = " + i % 5);
                      case 4 -> new Op.Delete("d", "id = " + i);
                      default ->
                          new Op.Delete(
                              "c", "ctid = (SELECT min(ctid) FROM {T}.c WHERE k = " + kk + ")");
                    });
    Arbitrary<Op> truncate = Arbitraries.of("a", "b", "c", "d").map(Op.Truncate::new);
    return Arbitraries.frequencyOf(
        Tuple.of(60, insert()), Tuple.of(60, update), Tuple.of(40, delete), Tuple.of(1, truncate));
  }
}
