package io.pgtrickle.operator.streams.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.postgres.tls.CaSocketFactory;
import io.pgtrickle.operator.postgres.tls.MemberJdbc;
import org.junit.jupiter.api.Test;

class DatabaseEndpointTest {

  @Test
  void aClusterRefWithTlsIsVerifiedAsAMember() {
    var endpoint =
        new DatabaseEndpoint(
            "10.0.0.7",
            5432,
            "app",
            "owner",
            "pw",
            new MemberJdbc.Target("10.0.0.7", "db-1.db-pods.ns.svc", "CA PEM"));
    var props = endpoint.properties();
    assertThat(props.getProperty("sslmode")).isEqualTo("verify-full");
    assertThat(props.getProperty("sslfactory")).isEqualTo(CaSocketFactory.class.getName());
    assertThat(props.getProperty(MemberJdbc.SERVER_NAME_PROPERTY)).isEqualTo("db-1.db-pods.ns.svc");
    assertThat(endpoint.toString()).isEqualTo("owner@10.0.0.7:5432/app");
  }

  @Test
  void aSpecHostKeepsTheDriversDefault() {
    var props = new DatabaseEndpoint("db.example", 5432, "app", "owner", "pw").properties();
    assertThat(props.getProperty("sslmode")).isNull();
    var noTls =
        new DatabaseEndpoint(
                "10.0.0.7",
                5432,
                "app",
                "owner",
                "pw",
                new MemberJdbc.Target("10.0.0.7", null, null))
            .properties();
    assertThat(noTls.getProperty("sslmode")).isEqualTo("prefer");
  }
}
