package io.pgtrickle.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CpuSamplerTest {

  @Test
  void percentOfTheCpusAvailableSinceTheLastSample() {
    AtomicLong cpu = new AtomicLong();
    AtomicLong wall = new AtomicLong();
    CpuSampler s = new CpuSampler(cpu::get, wall::get, 2);
    cpu.addAndGet(1_000_000_000L); // one CPU-second
    wall.addAndGet(2_000_000_000L); // in two seconds on two CPUs
    assertThat(s.percent()).isEqualTo(25.0);
    cpu.addAndGet(4_000_000_000L);
    wall.addAndGet(500_000_000L); // too soon: the last sample stands
    assertThat(s.percent()).isEqualTo(25.0);
    wall.addAndGet(1_500_000_000L);
    assertThat(s.percent()).isEqualTo(100.0);
  }
}
