package io.pgtrickle.testbed;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit extension giving a test class the shared {@link TestBed}, the generated CRDs installed, and
 * a fresh namespace of its own that is deleted after the class.
 *
 * <pre>{@code @RegisterExtension static final TestNamespace ns = new TestNamespace();}</pre>
 */
public final class TestNamespace implements BeforeAllCallback, AfterAllCallback {

  private TestBed testBed;
  private String name;
  private UnplayedReadiness readiness;

  @Override
  public void beforeAll(ExtensionContext context) {
    testBed = TestBed.shared();
    testBed.applyGeneratedCrds();
    String base =
        context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT).replace('$', '-');
    base = base.length() > 40 ? base.substring(0, 40) : base;
    name = base + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    client().namespaces().resource(TestBed.testNamespace(name)).create();
    readiness = new UnplayedReadiness(client(), name);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (readiness != null) {
      readiness.close();
    }
    if (name != null) {
      testBed.deleteNamespace(name);
    }
  }

  public String name() {
    return name;
  }

  public KubernetesClient client() {
    return testBed.client();
  }

  public TestBed testBed() {
    return testBed;
  }
}
