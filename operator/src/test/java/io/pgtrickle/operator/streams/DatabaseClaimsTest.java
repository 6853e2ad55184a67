package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatabaseClaimsTest {

  private static StreamTableCluster stc(
      String namespace, String name, String created, String postgresql) {
    StreamTableCluster s =
        Serialization.unmarshal(
            "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
                + name
                + "\n  namespace: "
                + namespace
                + "\n  uid: "
                + name
                + "-uid\n  creationTimestamp: '"
                + created
                + "'\nspec: {postgresql: "
                + postgresql
                + "}\n",
            StreamTableCluster.class);
    return s;
  }

  private static final String REF = "{clusterRef: {name: db}, database: app}";

  @Test
  void theOldestPipelineOfADatabaseHoldsIt() {
    StreamTableCluster first = stc("ns", "first", "2026-12-01T03:00:00Z", REF);
    StreamTableCluster second = stc("ns", "second", "2026-12-01T03:00:05Z", REF);
    List<StreamTableCluster> all = List.of(second, first);
    assertThat(DatabaseClaims.heldBy(first, all)).isEmpty();
    assertThat(DatabaseClaims.heldBy(second, all)).contains(first);
    assertThat(DatabaseClaims.message(first))
        .isEqualTo(
            "database app is already maintained by StreamTableCluster ns/first: one"
                + " StreamTableCluster per database (the pgtrickle catalog and the change log are"
                + " per database); this one runs nothing until that one is deleted");
    assertThat(DatabaseClaims.sharedWith(first, all)).contains(second);
  }

  @Test
  void otherDatabasesClustersAndNamespacesDoNotCollide() {
    StreamTableCluster a = stc("ns", "a", "2026-12-01T03:00:00Z", REF);
    List<StreamTableCluster> all =
        List.of(
            a,
            stc("ns", "b", "2026-12-01T03:00:00Z", "{clusterRef: {name: db}, database: other}"),
            stc("ns", "c", "2026-12-01T03:00:00Z", "{clusterRef: {name: db2}, database: app}"),
            stc("ns2", "d", "2026-12-01T03:00:00Z", REF));
    for (StreamTableCluster s : all) {
      assertThat(DatabaseClaims.heldBy(s, all)).isEmpty();
      assertThat(DatabaseClaims.sharedWith(s, all)).isEmpty();
    }
  }

  @Test
  void anExternalHostIsOneDatabaseWhateverTheNamespace() {
    String host = "{host: pg.example.com, database: app, secretRef: {name: s}}";
    StreamTableCluster a = stc("ns", "a", "2026-12-01T03:00:00Z", host);
    StreamTableCluster b = stc("ns2", "b", "2026-12-01T03:00:00Z", host);
    // Created in the same second: the uid decides, the same way for both.
    assertThat(DatabaseClaims.heldBy(b, List.of(a, b))).contains(a);
    assertThat(DatabaseClaims.heldBy(a, List.of(a, b))).isEmpty();
  }

  @Test
  void aPipelineBeingDeletedHoldsNothingForOthers() {
    StreamTableCluster first = stc("ns", "first", "2026-12-01T03:00:00Z", REF);
    first.getMetadata().setDeletionTimestamp("2026-12-01T03:10:00Z");
    StreamTableCluster second = stc("ns", "second", "2026-12-01T03:00:05Z", REF);
    List<StreamTableCluster> all = List.of(first, second);
    assertThat(DatabaseClaims.heldBy(second, all)).isEmpty();
    // The holder being deleted sees the younger one: it keeps the change log for it.
    assertThat(DatabaseClaims.heldBy(first, all)).isEmpty();
    assertThat(DatabaseClaims.sharedWith(first, all)).contains(second);
  }
}
