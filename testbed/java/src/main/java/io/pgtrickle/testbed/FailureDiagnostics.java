package io.pgtrickle.testbed;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * JUnit extension: when a test of the class (or its {@code @BeforeAll}) fails, the failure carries
 * {@link PodDiagnostics#describe(TestNamespace)} of the class's namespace, taken at that moment
 * (before the namespace and the pods' logs go). Register it after the namespace:
 *
 * <pre>{@code
 * @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
 * @RegisterExtension static final FailureDiagnostics DIAGNOSTICS = new FailureDiagnostics(NAMESPACE);
 * }</pre>
 */
public final class FailureDiagnostics
    implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

  private final TestNamespace namespace;

  public FailureDiagnostics(TestNamespace namespace) {
    this.namespace = namespace;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw withDiagnostics(failure);
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw withDiagnostics(failure);
  }

  private Throwable withDiagnostics(Throwable failure) {
    if (failure instanceof TestAbortedException || namespace.name() == null) {
      return failure;
    }
    return withDiagnostics(failure, PodDiagnostics.describe(namespace));
  }

  /** {@code failure} as an AssertionError whose message ends with {@code diagnostics}. */
  static AssertionError withDiagnostics(Throwable failure, String diagnostics) {
    return new AssertionError(failure.getMessage() + "\n" + diagnostics, failure);
  }
}
