package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import org.junit.jupiter.api.Test;

class DatabaseHolderTest {

  @Test
  void theCommentNamesThePipelineAndItsUidIsReadBack() {
    StreamTableCluster stc = new StreamTableCluster();
    stc.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace("shop")
            .withName("orders")
            .withUid("0b6f6c2e-9d7e-4c1a-8f43-2a1d3c4b5e6f")
            .build());
    String comment = DatabaseHolder.comment(stc);
    assertThat(comment).contains("StreamTableCluster shop/orders");
    assertThat(DatabaseHolder.uidIn(comment.substring(1, comment.length() - 1)))
        .contains("0b6f6c2e-9d7e-4c1a-8f43-2a1d3c4b5e6f");
    assertThat(DatabaseHolder.uidIn(null)).isEmpty();
    assertThat(DatabaseHolder.uidIn("a schema a user commented")).isEmpty();
  }
}
