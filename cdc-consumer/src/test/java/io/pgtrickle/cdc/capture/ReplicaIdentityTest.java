package io.pgtrickle.cdc.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplicaIdentityTest {

  @Test
  void aTableWithAKeyOrFullIdentityIsFine() {
    assertThat(ReplicaIdentity.problem("public.t", "public.t", 'd', true)).isNull();
    assertThat(ReplicaIdentity.problem("public.t", "public.t", 'f', false)).isNull();
    assertThat(ReplicaIdentity.problem("public.t", "public.t", 'i', true)).isNull();
  }

  @Test
  void withoutIdentityTheMessageNamesTheTableAndTheFix() {
    assertThat(ReplicaIdentity.problem("public.nk", "public.nk", 'd', false))
        .isEqualTo(
            "table public.nk has no primary key (REPLICA IDENTITY DEFAULT): published, its UPDATE"
                + " and DELETE would fail (SQLSTATE 55000), so it is not captured. Give it a"
                + " primary key, or run ALTER TABLE public.nk REPLICA IDENTITY FULL");
    assertThat(ReplicaIdentity.problem("public.t", "public.t", 'n', true))
        .contains("has REPLICA IDENTITY NOTHING");
    assertThat(ReplicaIdentity.problem("public.t", "public.t", 'i', false))
        .contains("USING INDEX but that index is gone");
  }

  @Test
  void aPartitionIsNamedWithItsTable() {
    assertThat(ReplicaIdentity.problem("public.p", "public.p3", 'd', false))
        .startsWith("partition public.p3 of public.p has no primary key")
        .endsWith("ALTER TABLE public.p3 REPLICA IDENTITY FULL");
  }
}
