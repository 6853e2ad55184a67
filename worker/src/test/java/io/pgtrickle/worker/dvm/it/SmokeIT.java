package io.pgtrickle.worker.dvm.it;

import io.pgtrickle.worker.dvm.support.ChangeCapture;
import io.pgtrickle.worker.dvm.support.PgServers;
import io.pgtrickle.worker.dvm.support.TestStreamTable;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmokeIT {

  @Test
  void smoke() throws Exception {
    int major = PgServers.defaultMajor();
    try (Connection c = PgServers.connect(major);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS smoke CASCADE");
      s.execute("CREATE SCHEMA smoke");
      s.execute(
          "CREATE TABLE smoke.src(id serial primary key, region text, category text, amount int, score int)");
      s.execute(
          "CREATE TABLE smoke.dim(id serial primary key, region text not null, region_name text not null, multiplier numeric not null default 1.0)");
      s.execute("CREATE TABLE smoke.kl(a int, b text)");
      ChangeCapture.install(c);
      for (String t : List.of("smoke.src", "smoke.dim", "smoke.kl")) {
        ChangeCapture.track(c, t);
      }
      s.execute(
          "INSERT INTO smoke.dim(region, region_name, multiplier) VALUES ('north','N',1.1),('south','S',0.9),('east','E',1.0)");
      s.execute(
          "INSERT INTO smoke.src(region, category, amount, score) SELECT (ARRAY['north','south','east','west',NULL])[i%5+1], 'A', (i*17+13)%100, i%10 FROM generate_series(1,200) i");
      s.execute("INSERT INTO smoke.kl VALUES (1,'a'),(1,'a'),(2,NULL),(NULL,NULL)");
      List<String> buffers = ChangeCapture.buffers(c);
      ChangeCapture.stamp(c, buffers);
      List<String> queries =
          List.of(
              "SELECT id, region, amount FROM smoke.src WHERE amount > 50",
              "SELECT id, CASE WHEN amount > 50 THEN 'big' ELSE 'small' END AS size FROM smoke.src",
              "SELECT a, b FROM smoke.kl",
              "SELECT region, SUM(amount) AS total, COUNT(*) AS cnt FROM smoke.src GROUP BY region",
              "SELECT s.id, s.region, s.amount, d.region_name FROM smoke.src s JOIN smoke.dim d ON s.region = d.region",
              "SELECT d.region_name, SUM(s.amount) AS total, COUNT(*) AS cnt FROM smoke.src s JOIN smoke.dim d ON s.region = d.region GROUP BY d.region_name",
              "SELECT s.id, d.region_name FROM smoke.src s LEFT JOIN smoke.dim d ON s.region = d.region",
              "SELECT count(*), sum(score), avg(amount), min(amount), max(region) FROM smoke.src",
              "SELECT DISTINCT region FROM smoke.src",
              "SELECT q.region, q.c FROM (SELECT region, count(*) AS c FROM smoke.src GROUP BY region) q JOIN smoke.dim d ON d.region = q.region",
              "SELECT id, region FROM smoke.src WHERE score = 1 UNION ALL SELECT id, region_name FROM smoke.dim");
      List<TestStreamTable> sts = new ArrayList<>();
      int n = 0;
      for (String q : queries) {
        TestStreamTable st = TestStreamTable.create(c, "smoke", "st" + (n++), q);
        if (n == 1 || n == 4 || n == 10) {
          System.out.println(st.plan().explain("smoke", "st" + (n - 1)));
        }
        st.assertMatchesQuery(c);
        sts.add(st);
      }
      s.execute("UPDATE smoke.src SET amount = amount + 30 WHERE id % 7 = 0");
      s.execute("DELETE FROM smoke.src WHERE id % 11 = 0");
      s.execute(
          "INSERT INTO smoke.src(region, amount, score) VALUES ('north', 99, 1), (NULL, NULL, 1)");
      s.execute("UPDATE smoke.src SET id = id + 1000 WHERE id = 5");
      s.execute("UPDATE smoke.dim SET region = 'west' WHERE region = 'east'");
      s.execute(
          "DELETE FROM smoke.kl WHERE a = 1 AND ctid = (SELECT min(ctid) FROM smoke.kl WHERE a = 1)");
      s.execute("INSERT INTO smoke.kl VALUES (2, NULL)");
      ChangeCapture.stamp(c, buffers);
      for (TestStreamTable st : sts) {
        System.out.println(st.refresh(c));
        st.assertMatchesQuery(c);
      }
    }
  }
}
