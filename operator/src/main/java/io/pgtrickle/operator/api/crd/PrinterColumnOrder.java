package io.pgtrickle.operator.api.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Build step after fabric8's crd-generator-maven-plugin: puts the printer columns in the order the
 * {@link AdditionalPrinterColumn} annotations are declared on the resource class.
 *
 * <p>The generator sorts columns by JSON path, which would show {@code kubectl get} columns as AGE,
 * VERSION, STATUS, REPLICAS; users expect NAME, VERSION, REPLICAS, STATUS, AGE as every other
 * operator prints them. Nothing else in the generated CRD is touched.
 *
 * <p>Usage: {@code PrinterColumnOrder <generated-dir> <output-dir> <resource-class>...}. The
 * generated file is rewritten in place (JOSDK's test extension applies it from there) and a copy
 * with a header goes to the output directory, the source of {@code deploy/crds/}.
 */
public final class PrinterColumnOrder {

  private PrinterColumnOrder() {}

  public static void main(String[] args) throws IOException, ClassNotFoundException {
    Path generated = Path.of(args[0]);
    Path output = Path.of(args[1]);
    Files.createDirectories(output);
    for (String className : Arrays.asList(args).subList(2, args.length)) {
      Class<?> resource = Class.forName(className);
      List<String> order =
          Arrays.stream(resource.getAnnotationsByType(AdditionalPrinterColumn.class))
              .map(AdditionalPrinterColumn::name)
              .toList();
      try (var files = Files.list(generated)) {
        for (Path file : files.filter(f -> f.toString().endsWith("-v1.yml")).toList()) {
          CustomResourceDefinition crd =
              Serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class);
          if (!crd.getSpec().getNames().getKind().equals(resource.getSimpleName())) {
            continue;
          }
          reorder(crd, order);
          String yaml = Serialization.asYaml(crd);
          Files.writeString(file, yaml);
          String name = file.getFileName().toString().replace("-v1.yml", ".yaml");
          Files.writeString(output.resolve(name), header() + yaml);
        }
      }
    }
  }

  /** Sorts each version's columns by their position in {@code order}; unknown names go last. */
  static void reorder(CustomResourceDefinition crd, List<String> order) {
    Comparator<CustomResourceColumnDefinition> byDeclaration =
        Comparator.comparingInt(
            c -> order.indexOf(c.getName()) < 0 ? order.size() : order.indexOf(c.getName()));
    for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
      if (version.getAdditionalPrinterColumns() != null) {
        version.getAdditionalPrinterColumns().sort(byDeclaration);
      }
    }
  }

  private static String header() {
    return "# Generated from the Java model in operator/src/main/java/io/pgtrickle/operator/api by\n"
        + "# `make crds`; do not edit. CrdsUpToDateTest fails when this file is stale.\n";
  }
}
