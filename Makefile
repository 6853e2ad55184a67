# pg-trickle build targets. Only the change-log benchmark lives here so far; other targets are
# added by their modules.

.PHONY: bench-changelog
# Publish/consume throughput, publish latency and each backend's floor, for the PostgreSQL,
# WAL file, NATS JetStream and Kafka change-log backends (about 2.5 minutes; see change-log/README.md).
# One backend only: make bench-changelog BENCH_BACKENDS=wal
BENCH_BACKENDS ?= all
bench-changelog:
	./mvnw -B -q -f change-log/pom.xml -Pbench test-compile exec:exec -Dbench.backends=$(BENCH_BACKENDS)
