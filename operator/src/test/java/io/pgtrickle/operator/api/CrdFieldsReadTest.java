package io.pgtrickle.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Honest fields (issue #17 section 4): every field of the PostgresCluster CRD's spec is either read
 * by the operator's code or refused by the API server with a message saying it is not supported
 * yet. "Read" is decided from the compiled classes, not from a list someone keeps: a method of the
 * api class that reads the field (its getter, or a helper such as {@code majorVersion()}, never its
 * setter) must be called by a class outside the {@code api} package (javap, the JDK's own
 * disassembler, lists every field a method reads and every method a class calls). A field of a
 * Kubernetes type (resources) counts as read when its getter is, since the operator passes it on
 * whole.
 */
class CrdFieldsReadTest {

  private static final Path CRD =
      Path.of("../deploy/crds/postgresclusters.postgres.example.com.yaml");

  /**
   * Fields the API server refuses through a combination of rules rather than one rule of their own,
   * each with the rules that do it. {@code spec.backup.destination.size} is allowed only with
   * {@code type: PVC} (its own rule; the repository volume's size, read by PgBackRest).
   */
  private static final Set<String> REFUSED_JOINTLY = Set.of("spec.backup.destination.size");

  private static final Pattern CALL =
      Pattern.compile("Method (io/pgtrickle/operator/api/[A-Za-z0-9_$/]+)\\.([A-Za-z0-9_]+):");

  @Test
  void everySpecFieldIsReadOrRefused() throws IOException {
    JSONSchemaProps spec = specSchema();
    Set<String> called = methodsCalledOutsideApi();
    List<String> unread = new ArrayList<>();
    walk("spec", spec, PostgresClusterSpec.class, called, fieldReaders(), unread);
    unread.removeAll(REFUSED_JOINTLY);
    assertThat(unread)
        .as(
            "CRD fields no code reads: implement them, or refuse them in the CRD with a CEL rule"
                + " (!has(self.FIELD)) whose message says the field is not supported yet")
        .isEmpty();
  }

  @Test
  void theWalkerSeesAFieldNoCodeReads() throws IOException {
    // The walker must be able to fail: with every call that reads spec.tls.enabled forgotten,
    // that field (and only it) is reported.
    JSONSchemaProps spec = specSchema();
    Map<String, Set<String>> readers = fieldReaders();
    Set<String> called = new TreeSet<>(methodsCalledOutsideApi());
    called.removeAll(readers.get("io/pgtrickle/operator/api/TlsSpec.enabled"));
    List<String> unread = new ArrayList<>();
    walk("spec", spec, PostgresClusterSpec.class, called, readers, unread);
    unread.removeAll(REFUSED_JOINTLY);
    assertThat(unread).containsExactly("spec.tls.enabled");
  }

  /**
   * Walks the schema; a field is fine when a method of its class that reads it (its getter, or a
   * helper such as {@code majorVersion()}; never its setter) is called outside the api package, or
   * when the CRD refuses it.
   */
  private static void walk(
      String path,
      JSONSchemaProps schema,
      Class<?> type,
      Set<String> called,
      Map<String, Set<String>> readers,
      List<String> unread) {
    if (schema.getProperties() == null) {
      return;
    }
    for (Map.Entry<String, JSONSchemaProps> property : schema.getProperties().entrySet()) {
      String name = property.getKey();
      String fieldPath = path + "." + name;
      if (refused(schema, name)) {
        continue;
      }
      Field field = field(type, name);
      assertThat(field)
          .as("%s has no Java field in %s", fieldPath, type.getSimpleName())
          .isNotNull();
      String owner = field.getDeclaringClass().getName().replace('.', '/');
      String setter = owner + ".set" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
      boolean read =
          readers.getOrDefault(owner + "." + name, Set.of()).stream()
              .filter(method -> !method.equals(setter))
              .anyMatch(called::contains);
      if (!read) {
        unread.add(fieldPath);
        continue;
      }
      Class<?> fieldType = field.getType();
      if (fieldType.getPackageName().equals(PostgresClusterSpec.class.getPackageName())
          && !fieldType.isEnum()) {
        walk(fieldPath, property.getValue(), fieldType, called, readers, unread);
      }
    }
  }

  /**
   * Refused by the API server: a CEL rule {@code !has(self.NAME)} saying it is not supported yet.
   */
  private static boolean refused(JSONSchemaProps parent, String name) {
    if (parent.getXKubernetesValidations() == null) {
      return false;
    }
    for (ValidationRule rule : parent.getXKubernetesValidations()) {
      String cel = rule.getRule().replace(" ", "");
      boolean forbids =
          cel.equals("!has(self." + name + ")")
              // a boolean refused when true (false is what the operator does anyway)
              || cel.equals("!has(self." + name + ")||!self." + name);
      if (forbids
          && rule.getMessage() != null
          && (rule.getMessage().contains("not supported yet")
              || rule.getMessage().contains("not built yet"))) {
        return true;
      }
    }
    return false;
  }

  private static Field field(Class<?> type, String name) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        return c.getDeclaredField(name);
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    return null;
  }

  private static JSONSchemaProps specSchema() throws IOException {
    CustomResourceDefinition crd =
        Serialization.unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
    return crd.getSpec().getVersions().stream()
        .filter(v -> Boolean.TRUE.equals(v.getStorage()))
        .findFirst()
        .orElseThrow()
        .getSchema()
        .getOpenAPIV3Schema()
        .getProperties()
        .get("spec");
  }

  /** Every method of an api class that classes outside the api package call, "pkg/Class.name". */
  static Set<String> methodsCalledOutsideApi() throws IOException {
    Set<String> called = new TreeSet<>();
    Matcher m = CALL.matcher(javap(false));
    while (m.find()) {
      called.add(m.group(1) + "." + m.group(2));
    }
    return called;
  }

  /** For each field of an api class ("pkg/Class.field"), the api methods that read it. */
  static Map<String, Set<String>> fieldReaders() throws IOException {
    Map<String, Set<String>> readers = new java.util.HashMap<>();
    String currentClass = null;
    String currentMethod = null;
    for (String line : javap(true).split("\n")) {
      Matcher type = CLASS.matcher(line);
      if (type.find()) {
        currentClass = type.group(1).replace('.', '/');
        continue;
      }
      Matcher method = METHOD.matcher(line);
      if (method.matches()) {
        currentMethod = method.group(1);
        continue;
      }
      Matcher field = GETFIELD.matcher(line);
      if (field.find() && currentClass != null && currentMethod != null) {
        String owner = field.group(1) == null ? currentClass : field.group(1);
        readers
            .computeIfAbsent(owner + "." + field.group(2), k -> new TreeSet<>())
            .add(currentClass + "." + currentMethod);
      }
    }
    return readers;
  }

  private static final Pattern CLASS =
      Pattern.compile("^(?:public |final |abstract )*(?:class|enum|interface) ([A-Za-z0-9_.$]+)");
  private static final Pattern METHOD =
      Pattern.compile("^  [^=]*?([A-Za-z0-9_$]+)\\([^)]*\\)(?: throws [^;]+)?;$");
  private static final Pattern GETFIELD =
      Pattern.compile("getfield .*// Field (?:([A-Za-z0-9_/$]+)\\.)?([A-Za-z0-9_$]+):");

  /** javap -c -p of the compiled classes inside ({@code api}) or outside the api package. */
  private static String javap(boolean api) throws IOException {
    Path classes = Path.of("target/classes");
    List<String> files;
    try (Stream<Path> all = Files.walk(classes)) {
      files =
          all.filter(p -> p.toString().endsWith(".class"))
              .filter(
                  p ->
                      api
                          == classes
                              .relativize(p)
                              .toString()
                              .startsWith("io/pgtrickle/operator/api/"))
              .map(Path::toString)
              .toList();
    }
    assertThat(files).as("compiled classes under target/classes").isNotEmpty();
    ToolProvider javap = ToolProvider.findFirst("javap").orElseThrow();
    StringWriter out = new StringWriter();
    List<String> args = new ArrayList<>(List.of("-c", "-p"));
    args.addAll(files);
    int code =
        javap.run(
            new PrintWriter(out), new PrintWriter(new StringWriter()), args.toArray(String[]::new));
    assertThat(code).as("javap exit code").isZero();
    return out.toString();
  }
}
