package io.pgtrickle.worker.dvm.random;

import io.pgtrickle.worker.dvm.support.PgServers;
import java.sql.Connection;
import java.sql.SQLException;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The randomized differential test (issue #13 §4): for every shape, random data and batches of
 * INSERT/UPDATE/DELETE (NULLs, duplicates, key changes, in-batch cancellations, rare TRUNCATE) on
 * real source tables; after every refresh the stream table equals its query recomputed (multiset of
 * text forms, both ways). Seeds are fixed for CI; jqwik prints the seed of a failure and shrinks it
 * to a minimal scenario (then add it to {@code DifferentialRegressionIT}). Tries per property:
 * {@code jqwik.tries.default} (200, junit-platform.properties; {@code -Djqwik.tries.default=N} on
 * the command line).
 */
class DifferentialPropertyIT {

  private static Connection conn;
  private static ScenarioRunner runner;

  @BeforeContainer
  static void start() throws SQLException {
    conn = PgServers.connect(PgServers.defaultMajor());
    Schemas.install(conn);
    runner = new ScenarioRunner(conn);
  }

  @AfterContainer
  static void stop() throws SQLException {
    runner.timings.forEach((k, v) -> System.out.printf("%-12s %8.0f ms%n", k, v / 1e6));
    conn.close();
  }

  @Property(seed = "13001", edgeCases = EdgeCasesMode.MIXIN)
  void projectionAndFilter(@ForAll("projectionAndFilterCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> projectionAndFilterCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.PROJECT_FILTER);
  }

  @Property(seed = "13002", edgeCases = EdgeCasesMode.MIXIN)
  void keylessSources(@ForAll("keylessSourcesCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> keylessSourcesCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.KEYLESS);
  }

  @Property(seed = "13003", edgeCases = EdgeCasesMode.MIXIN)
  void aggregates(@ForAll("aggregatesCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> aggregatesCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.AGGREGATE);
  }

  @Property(seed = "13004", edgeCases = EdgeCasesMode.MIXIN)
  void innerJoins(@ForAll("innerJoinsCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> innerJoinsCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.JOIN);
  }

  @Property(seed = "13005", edgeCases = EdgeCasesMode.MIXIN)
  void leftJoins(@ForAll("leftJoinsCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> leftJoinsCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.LEFT_JOIN);
  }

  @Property(seed = "13006", edgeCases = EdgeCasesMode.MIXIN)
  void joinAggregates(@ForAll("joinAggregatesCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> joinAggregatesCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.JOIN_AGGREGATE);
  }

  @Property(seed = "13007", edgeCases = EdgeCasesMode.MIXIN)
  void distinct(@ForAll("distinctCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> distinctCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.DISTINCT);
  }

  @Property(seed = "13008", edgeCases = EdgeCasesMode.MIXIN)
  void unionAll(@ForAll("unionAllCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> unionAllCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.UNION_ALL);
  }

  @Property(seed = "13009", edgeCases = EdgeCasesMode.MIXIN)
  void subqueries(@ForAll("subqueriesCases") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> subqueriesCases() {
    return ScenarioGen.scenarios(QueryGen.Shape.SUBQUERY);
  }

  /** A property with a random seed (printed on failure), over every shape. */
  @Property(edgeCases = EdgeCasesMode.MIXIN)
  void anyShapeRandomSeed(@ForAll("anyShape") Scenario s) throws SQLException {
    runner.run(s);
  }

  @Provide
  Arbitrary<Scenario> anyShape() {
    return net.jqwik.api.Arbitraries.of(QueryGen.Shape.values()).flatMap(ScenarioGen::scenarios);
  }
}
