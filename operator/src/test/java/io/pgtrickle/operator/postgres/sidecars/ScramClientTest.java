package io.pgtrickle.operator.postgres.sidecars;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** RFC 7677's SCRAM-SHA-256 example, message by message. */
class ScramClientTest {

  private static final String SERVER_FIRST =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

  @Test
  void theRfcExchangeGivesTheRfcProofAndAcceptsTheRfcServerSignature() {
    ScramClient scram = new ScramClient("pencil", "user", "rOprNGfwEbeRWgbNEkqO");

    assertThat(scram.firstMessage()).isEqualTo("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    assertThat(scram.finalMessage(SERVER_FIRST))
        .isEqualTo(
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    scram.verifyServer("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  }

  @Test
  void aServerThatDoesNotKnowThePasswordOrChangesTheNonceIsRefused() {
    ScramClient scram = new ScramClient("pencil", "user", "rOprNGfwEbeRWgbNEkqO");
    scram.finalMessage(SERVER_FIRST);
    assertThatThrownBy(() -> scram.verifyServer("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new ScramClient("pencil", "user", "rOprNGfwEbeRWgbNEkqO")
                    .finalMessage("r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aNewExchangeLeavesTheUserToTheStartupMessageWithAFreshNonce() {
    String first = new ScramClient("pw").firstMessage();
    assertThat(first).startsWith("n,,n=,r=").hasSizeGreaterThan("n,,n=,r=".length() + 16);
    assertThat(new ScramClient("pw").firstMessage()).isNotEqualTo(first);
  }
}
