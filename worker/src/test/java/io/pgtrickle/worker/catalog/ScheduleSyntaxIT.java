package io.pgtrickle.worker.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Every schedule the front door accepts (and stores normalized) is one the worker can evaluate:
 * durations of at most 9 digits per part, cron parsed by cron-utils as the worker does (5 fields
 * UNIX, 6 fields SPRING53 with seconds first, @shortcuts as their 5-field form). Random expressions
 * from the cron grammar, valid and not.
 */
class ScheduleSyntaxIT {

  private static CatalogDb db;
  private static Connection c;

  private static final Map<String, String> ALIASES =
      Map.of(
          "@hourly", "0 * * * *",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@weekly", "0 0 * * 0",
          "@monthly", "0 0 1 * *",
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *");

  @BeforeContainer
  static void start() throws SQLException {
    db = CatalogDb.start();
    c = db.connect(db.freshDatabase());
  }

  @AfterContainer
  static void stop() throws SQLException {
    if (c != null) {
      c.close();
    }
    if (db != null) {
      db.close();
    }
  }

  /** The stored form, or null when the front door refuses the schedule. */
  private static String stored(String schedule) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT pgtrickle._parse_schedule(?)")) {
      p.setString(1, schedule);
      try (ResultSet rs = p.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    } catch (SQLException e) {
      assertThat(e.getSQLState()).as(schedule + ": " + e.getMessage()).isEqualTo("22023");
      return null;
    }
  }

  /** Whether the worker's evaluation (cron-utils, as the runtime configures it) accepts it. */
  private static void assertWorkerAccepts(String stored) {
    if (stored.matches("([0-9]{1,9}[smhdw])+")) {
      return;
    }
    String cron = ALIASES.getOrDefault(stored.toLowerCase(Locale.ROOT), stored);
    CronType type = cron.split(" ").length == 5 ? CronType.UNIX : CronType.SPRING53;
    new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(cron).validate();
  }

  @Property(tries = 1500)
  void whatTheFrontDoorAcceptsTheWorkerEvaluates(@ForAll("schedules") String schedule)
      throws SQLException {
    String s = stored(schedule);
    Statistics.label("front door").collect(s == null ? "refused" : "accepted");
    if (s != null) {
      assertWorkerAccepts(s);
    }
  }

  @Example
  void examples() throws SQLException {
    for (String ok :
        List.of(
            "5s",
            "1h30m",
            "2W",
            "1d 12h",
            "*/5 * * * *",
            "0 6 * * mon-fri",
            "0 0 1 jan,jul *",
            "*/10 * * * * *",
            "0 0 12 * * 7",
            "@weekly",
            "@ANNUALLY")) {
      String s = stored(ok);
      assertThat(s).as(ok).isNotNull();
      assertWorkerAccepts(s);
    }
    for (String bad :
        List.of(
            "0s",
            "1234567890s",
            "5 seconds",
            "* * * *",
            "* * * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "5/10 * * * *",
            "* * ? * *",
            "0 0 L * *",
            "*/0 * * * *",
            "@reboot",
            "",
            "   ")) {
      assertThat(stored(bad)).as(bad).isNull();
    }
  }

  @Provide
  Arbitrary<String> schedules() {
    Arbitrary<String> value = Arbitraries.integers().between(-1, 70).map(String::valueOf);
    Arbitrary<String> name =
        Arbitraries.of("JAN", "jul", "Dec", "MON", "fri", "sun", "XYZ", "MONDAY");
    Arbitrary<String> atom = Arbitraries.oneOf(value, value, name);
    Arbitrary<String> item =
        Arbitraries.oneOf(
            Arbitraries.just("*"),
            atom,
            Combinators.combine(atom, atom).as((a, b) -> a + "-" + b),
            Combinators.combine(Arbitraries.of("*", "1-5", "0-59", "3"), value)
                .as((a, b) -> a + "/" + b),
            Arbitraries.of("?", "L", "5#2", "1,", ",", "**"));
    Arbitrary<String> field = item.list().ofMinSize(1).ofMaxSize(3).map(l -> String.join(",", l));
    Arbitrary<String> cron = field.list().ofMinSize(4).ofMaxSize(7).map(l -> String.join(" ", l));
    Arbitrary<String> duration =
        Combinators.combine(
                Arbitraries.integers().between(0, 99999),
                Arbitraries.of("s", "m", "h", "d", "w", "S", "x"))
            .as((n, u) -> n + u)
            .list()
            .ofMinSize(1)
            .ofMaxSize(3)
            .map(l -> String.join("", l));
    Arbitrary<String> alias =
        Arbitraries.of(
            "@hourly",
            "@Daily",
            "@midnight",
            "@weekly",
            "@monthly",
            "@yearly",
            "@annually",
            "@reboot",
            "@every");
    return Arbitraries.frequencyOf(Tuple.of(6, cron), Tuple.of(2, duration), Tuple.of(1, alias));
  }
}
