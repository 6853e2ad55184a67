package io.pgtrickle.operator.postgres.patroni;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Patroni's REST API on a member (port 8008): liveness, dynamic configuration, switchover and
 * reinitialisation. Calls are short and bounded; a member that does not answer yields a {@link
 * PatroniException}, which the reconciler reports and retries later rather than blocking.
 */
public class PatroniClient {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

  /**
   * Patroni answers a switchover only once the new primary is in place or it gave up, polling for
   * up to {@code loop_wait + 2} seconds after the old primary stepped down.
   */
  private static final Duration SWITCHOVER_TIMEOUT = Duration.ofSeconds(20);

  // A restart waits for PostgreSQL's shutdown checkpoint and its start.
  private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Seconds PostgreSQL may take to start again in a restart ({@code POST /restart}'s {@code
   * timeout}), within {@link #RESTART_TIMEOUT} so that Patroni answers first. Without it Patroni
   * takes {@code primary_start_timeout}, which the operator keeps short for crashed primaries
   * (PatroniTimings, 10 s by default): a planned restart of a primary should not fail over after 10
   * s of a slow start.
   */
  static final int RESTART_START_TIMEOUT_SECONDS = 45;

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * TLS 1.2 for Patroni's REST API: with TLS 1.3, JDK 17's HttpClient stalled in the handshake with
   * Patroni's (Python) HTTPS server on the test bed (and with {@code openssl s_server}), beyond
   * every timeout, while 1.2 answered in milliseconds. Patroni serves both.
   */
  private static final javax.net.ssl.SSLParameters TLS_1_2 =
      new javax.net.ssl.SSLParameters(null, new String[] {"TLSv1.2"});

  /** One HTTPS client per trust (a cluster's CA), made on first use. */
  private final Map<SSLContext, HttpClient> https = new java.util.concurrent.ConcurrentHashMap<>();

  private HttpClient client(Target target) {
    if (target.tls() == null) {
      return http;
    }
    return https.computeIfAbsent(
        target.tls(),
        ssl ->
            HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .sslContext(ssl)
                .sslParameters(TLS_1_2)
                .build());
  }

  /**
   * How the operator reaches one member's REST API: over plain HTTP ({@code tls} null), over HTTPS
   * trusting what {@code tls} trusts, or not at all ({@code refusal} says why: the member serves
   * HTTPS and nothing is there to verify it by, while the spec asks for verified TLS).
   */
  public record Scheme(SSLContext tls, String refusal) {

    public static final Scheme HTTP = new Scheme(null, null);

    public static Scheme https(SSLContext trust) {
      return new Scheme(java.util.Objects.requireNonNull(trust), null);
    }

    public static Scheme refused(String why) {
      return new Scheme(null, why);
    }
  }

  /**
   * Patroni's REST API user; {@code previousPassword} (may be null) is the one members that started
   * before the last password change still expect. {@code schemes} says, by pod name, how to reach
   * each member: what the member serves, fixed by the template it started from (see {@code
   * ServedTls}), which differs from the spec's while TLS turned on or off rolls the members.
   */
  public record Login(
      String username,
      String password,
      String previousPassword,
      java.util.function.Function<String, Scheme> schemes) {

    /** A login to members that all serve plain HTTP. */
    public Login(String username, String password, String previousPassword) {
      this(username, password, previousPassword, pod -> Scheme.HTTP);
    }

    /** The same login, reaching each member (by pod name) as {@code schemes} says. */
    public Login withSchemes(java.util.function.Function<String, Scheme> schemes) {
      return new Login(username, password, previousPassword, schemes);
    }

    /** How to reach the member {@code pod}. */
    public Scheme scheme(String pod) {
      return schemes.apply(pod);
    }

    @Override
    public String toString() {
      return "Login[" + username + "]";
    }
  }

  /**
   * Where and as whom to call: the member's IP and the REST API credentials. {@code
   * previousPassword} (may be null) is tried when Patroni answers 401: a member that started before
   * the REST API password was changed expects it until it restarts.
   */
  public record Target(
      String host,
      int port,
      String username,
      String password,
      String previousPassword,
      SSLContext tls) {

    public Target(
        String host, int port, String username, String password, String previousPassword) {
      this(host, port, username, password, previousPassword, null);
    }

    public Target(String host, int port, String username, String password) {
      this(host, port, username, password, null, null);
    }

    URI uri(String path) {
      return URI.create((tls == null ? "http://" : "https://") + host + ":" + port + path);
    }

    String authorization() {
      return basic(password);
    }

    String previousAuthorization() {
      return previousPassword == null ? null : basic(previousPassword);
    }

    private String basic(String secret) {
      String pair = username + ":" + secret;
      return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "Target[" + host + ":" + port + "]";
    }
  }

  /** {@code PATCH /config}: merges the settings into Patroni's dynamic configuration. */
  public void patchConfig(Target target, Map<String, Object> dynamicConfig) {
    send(target, "PATCH", "/config", JSON.asJson(dynamicConfig), 200, TIMEOUT);
  }

  /** {@code GET /config}: the dynamic configuration Patroni keeps in its DCS now. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> config(Target target) {
    String body = send(target, "GET", "/config", "", 200, TIMEOUT);
    Map<String, Object> config = JSON.unmarshal(body, Map.class);
    if (config == null) {
      throw new PatroniException("GET /config on " + target.host() + " answered no configuration");
    }
    return config;
  }

  /**
   * {@code POST /switchover}: moves the primary from {@code leader} to {@code candidate}, or to the
   * member Patroni picks when {@code candidate} is null (in synchronous mode, a sync standby).
   */
  public void switchover(Target target, String leader, String candidate) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("leader", leader);
    if (candidate != null) {
      body.put("candidate", candidate);
    }
    send(target, "POST", "/switchover", JSON.asJson(body), 200, SWITCHOVER_TIMEOUT);
  }

  /**
   * {@code POST /restart} with {@code restart_pending}: Patroni restarts this member's PostgreSQL
   * in place (stop, start; a primary keeps its leader lock), and only if a parameter change waits
   * for a restart. A primary that does not start within {@value #RESTART_START_TIMEOUT_SECONDS} s
   * fails over to a healthy replica (Patroni's rule for a restart's {@code timeout}). Synchronous:
   * 200 once PostgreSQL runs again, 503 with Patroni's reason when it refuses or the restart
   * failed.
   */
  public void restartPending(Target target) {
    send(
        target,
        "POST",
        "/restart",
        "{\"restart_pending\": true, \"timeout\": " + RESTART_START_TIMEOUT_SECONDS + "}",
        200,
        RESTART_TIMEOUT);
  }

  /**
   * {@code POST /reload}: Patroni reads its configuration again, reloads PostgreSQL ({@code
   * pg_reload_conf}, which picks up new certificate files) and its REST API's certificate when its
   * serial changed.
   */
  public void reload(Target target) {
    send(target, "POST", "/reload", "", 202, TIMEOUT);
  }

  /**
   * {@code POST /reinitialize} on a replica: Patroni removes its data directory and clones it again
   * from the primary ({@code from_leader}), in the background (200 once started; 503 with Patroni's
   * reason when it refuses, e.g. on the leader or while another task runs).
   */
  public void reinitialize(Target target) {
    send(target, "POST", "/reinitialize", "{\"from_leader\":true}", 200, TIMEOUT);
  }

  /**
   * Whether Patroni on the member answers at all ({@code GET /liveness}, any status): an answer
   * means its process runs and still acts on the lock, however unhealthy PostgreSQL is.
   */
  public boolean answers(Target target) {
    HttpRequest request =
        HttpRequest.newBuilder(target.uri("/liveness")).timeout(PROBE_TIMEOUT).GET().build();
    try {
      client(target).send(request, HttpResponse.BodyHandlers.discarding());
      return true;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  /** Sends a request and returns the answer's body; anything but {@code expected} throws. */
  private String send(
      Target target, String method, String path, String body, int expected, Duration timeout) {
    try {
      HttpClient http = client(target);
      HttpResponse<String> response =
          http.send(
              request(target, target.authorization(), method, path, body, timeout),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 401 && target.previousAuthorization() != null) {
        response =
            http.send(
                request(target, target.previousAuthorization(), method, path, body, timeout),
                HttpResponse.BodyHandlers.ofString());
      }
      if (response.statusCode() != expected) {
        throw new PatroniException(
            method
                + " "
                + path
                + " on "
                + target.host()
                + " answered "
                + response.statusCode()
                + ": "
                + response.body().strip());
      }
      return response.body();
    } catch (IOException e) {
      throw new PatroniException(method + " " + path + " on " + target.host() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PatroniException(method + " " + path + " interrupted", e);
    }
  }

  private static HttpRequest request(
      Target target,
      String authorization,
      String method,
      String path,
      String body,
      Duration timeout) {
    return HttpRequest.newBuilder(target.uri(path))
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Authorization", authorization)
        .method(method, HttpRequest.BodyPublishers.ofString(body))
        .build();
  }
}
