// A tiny program for the test bed's own tests, run in source-file mode (java EchoProgram.java) as
// the "image" of a program pod: HTTP on $PGTRICKLE_HTTP_ADDRESS:8080 with
//   /readyz, /healthz   200, or 503 while the file $TMPDIR/unready (or /sick) exists
//   /whoami             the pod's HOSTNAME
//   /env?name=X         the variable X
//   /uid                the numeric user id the program runs as
//   /resolve?name=N     the addresses N resolves to, comma-separated (the JVM's resolver)
//   /fetch?url=U        the body of a GET of U (through the cluster DNS and Service routing)
// SIGTERM: waits 1 s (a drain) and exits 0, noting it in the log.
// With the argument "once" (a Job's program): prints "ran once as $HOSTNAME" and exits 0.
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

public class EchoProgram {
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("once")) {
      System.out.println("ran once as " + System.getenv("HOSTNAME"));
      return;
    }
    String address = System.getenv("PGTRICKLE_HTTP_ADDRESS");
    Path tmp = Path.of(System.getenv("TMPDIR"));
    HttpServer server = HttpServer.create(new InetSocketAddress(address, 8080), 16);
    server.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          String query = exchange.getRequestURI().getQuery();
          String arg = query == null ? "" : query.substring(query.indexOf('=') + 1);
          int status = 200;
          String body;
          try {
            switch (path) {
              case "/readyz" -> {
                status = Files.exists(tmp.resolve("unready")) ? 503 : 200;
                body = "ready";
              }
              case "/healthz" -> {
                status = Files.exists(tmp.resolve("sick")) ? 503 : 200;
                body = "healthy";
              }
              case "/whoami" -> body = System.getenv("HOSTNAME");
              case "/env" -> body = String.valueOf(System.getenv(arg));
              case "/uid" -> body = Files.readString(Path.of("/proc/self/status")).lines()
                  .filter(l -> l.startsWith("Uid:")).findFirst().orElse("").split("\\s+")[1];
              case "/resolve" -> body = Arrays.stream(InetAddress.getAllByName(arg))
                  .map(InetAddress::getHostAddress).sorted().collect(Collectors.joining(","));
              case "/fetch" -> body = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                  .build().send(HttpRequest.newBuilder(URI.create(arg)).build(),
                      HttpResponse.BodyHandlers.ofString()).body();
              default -> {
                status = 404;
                body = "no such path";
              }
            }
          } catch (Exception e) {
            status = 500;
            body = e.toString();
          }
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    // Threads: /fetch may come back to this very program through the Service.
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
    server.start();
    System.out.println("echo program of " + System.getenv("HOSTNAME") + " on " + address);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("SIGTERM: draining");
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server.stop(0);
      System.out.println("drained");
    }));
  }
}
