package io.pgtrickle.e2e.bench;

import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The workers' {@code pg_trickle_refresh_phase_seconds{mode, phase}} (sum and count per pod), and
 * their {@code pg_trickle_refresh_ingest_wait_seconds} and {@code
 * pg_trickle_refresh_cdc_wait_seconds} (as mode {@code wait}, phases {@code ingest} and {@code
 * cdc}: the whole wait for the CDC and the ingest, and its part until the slots had confirmed), and
 * {@code pg_trickle_ingest_round_seconds} (as mode {@code ingest}, phase {@code round}: the ingest
 * lease holder's rounds), added up over the worker pods at one moment: taken at the start and the
 * end of a measurement, their difference says where the refreshes of the measurement spent their
 * time, per mode and phase.
 *
 * @param seconds per pod, per {@code mode/phase}: the sum in seconds
 * @param counts per pod, per {@code mode/phase}: the count
 */
record RefreshPhaseTotals(
    Map<String, Map<String, Double>> seconds, Map<String, Map<String, Double>> counts) {

  private static final Pattern LINE =
      Pattern.compile("^pg_trickle_refresh_phase_seconds_(sum|count)\\{(.*)\\} ([0-9.eE+-]+)$");
  private static final Pattern WAIT =
      Pattern.compile("^pg_trickle_refresh_(cdc|ingest)_wait_seconds_(sum|count) ([0-9.eE+-]+)$");
  private static final Pattern ROUND =
      Pattern.compile("^pg_trickle_ingest_round_seconds_(sum|count) ([0-9.eE+-]+)$");
  private static final Pattern MODE = Pattern.compile("mode=\"([^\"]*)\"");
  private static final Pattern PHASE = Pattern.compile("phase=\"([^\"]*)\"");

  /**
   * Reads every pod's {@code /metrics} (pod IP, port 8080); a pod that does not answer is left out.
   */
  static RefreshPhaseTotals read(List<Pod> pods) {
    Map<String, Map<String, Double>> seconds = new TreeMap<>();
    Map<String, Map<String, Double>> counts = new TreeMap<>();
    HttpClient http = HttpClient.newHttpClient();
    for (Pod pod : pods) {
      String body;
      try {
        body =
            http.send(
                    HttpRequest.newBuilder(
                            URI.create("http://" + pod.getStatus().getPodIP() + ":8080/metrics"))
                        .timeout(Duration.ofSeconds(2))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
      } catch (Exception e) {
        continue; // a worker starting or stopping
      }
      String name = pod.getMetadata().getName();
      for (String line : body.split("\n")) {
        Matcher wait = WAIT.matcher(line);
        if (wait.matches()) {
          // The wait for the CDC and the ingest, and the CDC's part of it, as a mode "wait".
          ("sum".equals(wait.group(2)) ? seconds : counts)
              .computeIfAbsent(name, k -> new TreeMap<>())
              .put("wait/" + wait.group(1), Double.parseDouble(wait.group(3)));
          continue;
        }
        Matcher round = ROUND.matcher(line);
        if (round.matches()) {
          // The lease holder's ingest rounds, as a mode "ingest" (the others have none).
          ("sum".equals(round.group(1)) ? seconds : counts)
              .computeIfAbsent(name, k -> new TreeMap<>())
              .put("ingest/round", Double.parseDouble(round.group(2)));
          continue;
        }
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
          continue;
        }
        Matcher mode = MODE.matcher(m.group(2));
        Matcher phase = PHASE.matcher(m.group(2));
        if (!mode.find() || !phase.find()) {
          continue;
        }
        String key = mode.group(1) + "/" + phase.group(1);
        double value = Double.parseDouble(m.group(3));
        ("sum".equals(m.group(1)) ? seconds : counts)
            .computeIfAbsent(name, k -> new TreeMap<>())
            .put(key, value);
      }
    }
    return new RefreshPhaseTotals(seconds, counts);
  }

  /**
   * The mean milliseconds per refresh of each phase between {@code before} and this reading, per
   * mode: {@code DIFFERENTIAL (120 refreshes): open 2.1 ms, ingest_wait 140.2 ms, ...}; a pod
   * absent from {@code before} counts from zero.
   */
  String meansSince(RefreshPhaseTotals before) {
    Map<String, Double> sum = difference(seconds, before.seconds);
    Map<String, Double> count = difference(counts, before.counts);
    Map<String, StringJoiner> byMode = new TreeMap<>();
    Map<String, Double> refreshes = new TreeMap<>();
    sum.forEach(
        (key, s) -> {
          double n = count.getOrDefault(key, 0.0);
          if (n <= 0) {
            return;
          }
          String mode = key.substring(0, key.indexOf('/'));
          refreshes.merge(mode, n, Math::max);
          byMode
              .computeIfAbsent(mode, k -> new StringJoiner(", "))
              .add(
                  String.format(
                      Locale.ROOT,
                      "%s %.1f ms",
                      key.substring(key.indexOf('/') + 1),
                      s * 1000 / n));
        });
    StringJoiner out = new StringJoiner("; ");
    byMode.forEach(
        (mode, phases) ->
            out.add(
                String.format(
                    Locale.ROOT,
                    "%s (%.0f %s): %s",
                    mode,
                    refreshes.get(mode),
                    mode.equals("ingest") ? "rounds" : "refreshes",
                    phases)));
    return out.length() == 0 ? "no refresh phases read" : out.toString();
  }

  private static Map<String, Double> difference(
      Map<String, Map<String, Double>> now, Map<String, Map<String, Double>> then) {
    Map<String, Double> out = new TreeMap<>();
    now.forEach(
        (pod, values) ->
            values.forEach(
                (key, v) ->
                    out.merge(
                        key,
                        v - then.getOrDefault(pod, Map.of()).getOrDefault(key, 0.0),
                        Double::sum)));
    return out;
  }
}
