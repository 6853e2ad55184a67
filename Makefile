# pg-trickle operator: build, test bed, tests and demo. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
MVN := ./mvnw -B -ntp
CACHE ?= $(HOME)/.cache/pg-trickle
export PATH := $(ROOT)/target/testbed/bin:$(CACHE)/go/1.26.8/bin:$(PATH)
KUBECONFIG_TESTBED := $(ROOT)/target/testbed/kubeconfig
KUBECTL_TESTBED := $(ROOT)/target/testbed/bin/kubectl --kubeconfig=$(KUBECONFIG_TESTBED)
KUBECTL := $(KUBECTL_TESTBED)
# Targets that change a cluster start the test bed only when they act on it: with KUBECTL=kubectl
# they act on KUBECONFIG's cluster and need no local Kubernetes.
ifeq ($(KUBECTL),$(KUBECTL_TESTBED))
TARGET_CLUSTER := testbed-up
endif

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# --- dependencies --------------------------------------------------------------------------------
.PHONY: deps deps-test
deps: ## Install what the build needs (JDK 17; Maven comes with ./mvnw)
	hack/install-deps.sh java

deps-test: ## Install what the tests need (Go, PostgreSQL 14-18, pgBackRest, nats-server, Patroni, PgBouncer, the exporter, Node.js)
	hack/install-deps.sh java go postgres pgbackrest nats python patroni pgmajors sidecars node

# --- build ---------------------------------------------------------------------------------------
.PHONY: build crds lint fmt clean pg-parameters test-pg-parameters
build: deps ## Compile and package every module (no tests)
	$(MVN) -DskipTests package

crds: deps ## Regenerate deploy/crds (and the chart's copy) from the Java model
	$(MVN) -q -pl operator -am -DskipTests package
	mkdir -p deploy/crds && cp operator/target/crds/*.yaml deploy/crds/
	rm -f charts/pg-trickle/crds/*.yaml && cp deploy/crds/*.yaml charts/pg-trickle/crds/

lint: deps ## Check formatting (google-java-format through Spotless)
	$(MVN) -q spotless:check

pg-parameters: deps-test ## Regenerate the operator's PostgreSQL 14-18 parameter catalogs: pg_settings of the real binaries, filtered through Patroni's validator (about 90 s)
	hack/pg-parameters.sh

test-pg-parameters: deps-test ## Check the committed parameter catalogs and the parameter checks against PostgreSQL 14-18 and Patroni (about 3 min; not in make check)
	$(MVN) -pl operator -am -Pit verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dit.test=PostgresqlCatalogIT -Dfailsafe.failIfNoSpecifiedTests=false -Dit.pg.catalog=true

fmt: deps ## Format the Java sources
	$(MVN) -q spotless:apply

clean: testbed-down ## Remove build output (the binary cache in ~/.cache/pg-trickle stays)
	$(MVN) -q clean
	rm -rf target

# --- test bed ------------------------------------------------------------------------------------
.PHONY: testbed-build testbed-up testbed-down
testbed-build: ## Build the Kubernetes binaries of the test bed into the cache
	testbed/testbed.sh build

testbed-up: ## Start the local Kubernetes test bed (idempotent); prints the export lines
	@testbed/testbed.sh up

testbed-down: ## Stop the test bed and leave nothing running
	@testbed/testbed.sh down

# --- tests ---------------------------------------------------------------------------------------
.PHONY: test test-integration test-ha-matrix test-backup-matrix test-worker-soak test-worker-kafka check
test: deps ## Unit tests only (no cluster, no servers)
	$(MVN) verify

test-integration: deps-test testbed-up ## Unit and integration tests on the test bed
	$(MVN) -Pit verify

# The HA suite (real Patroni) in full on every major, one after another (about 4 min each).
HA_MAJORS ?= 14 15 16 17 18
test-ha-matrix: deps-test testbed-up ## The full HA suite on PostgreSQL 14-18 (make check: full on 15, smoke on the rest)
	for v in $(HA_MAJORS); do \
	  $(MVN) -pl operator -am -Pit verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false \
	    -Dit.test='PatroniBootstrapIT,PatroniFailoverIT,PatroniFaultsIT' -Dit.pg.version=$$v || exit 1; \
	done

# The backup suite (real pgBackRest 2.55.1) in full on every major, one after another (make check:
# full on 15, BackupMajorsSmokeIT on the rest).
test-backup-matrix: deps-test testbed-up ## The full backup suite on PostgreSQL 14-18 (about 12 min each)
	for v in $(HA_MAJORS); do \
	  $(MVN) -pl operator -am -Pit verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false \
	    -Dit.test='**/backup/*IT' -Dfailsafe.failIfNoSpecifiedTests=false \
	    -Dit.pg.smoke.versions= -Dit.pg.version=$$v || exit 1; \
	done

# Longer kill runs of the worker (not in make check): 100 rounds on each change-log backend.
WORKER_SOAK_ROUNDS ?= 100
test-worker-soak: deps-test ## Worker kill test, long: SIGKILLs/SIGTERMs of 3 workers, PostgreSQL tables then NATS (about 15 min)
	for b in postgres nats; do \
	  $(MVN) -pl worker -am -Pit verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false \
	    -Dit.test=KillIT -Dfailsafe.failIfNoSpecifiedTests=false \
	    -Dit.kill.rounds=$(WORKER_SOAK_ROUNDS) -Dit.kill.backend=$$b || exit 1; \
	done

# The worker's pipeline test on the Kafka change log (not in make check: the Kafka ingest is slow).
test-worker-kafka: deps-test ## Worker PipelineIT on PostgreSQL tables, NATS and Kafka (about 6 min)
	$(MVN) -pl worker -am -Pit verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dit.test=PipelineIT -Dfailsafe.failIfNoSpecifiedTests=false -Dit.pipeline.kafka=true

check: deps-test ## The whole suite, as CI runs it: test bed up, every test, test bed down
	# hack/check.sh builds the test bed's binaries beside the Maven build, starts the test bed, and
	# the collector's and emulators' builds beside the first tests.
	status=0; hack/check.sh || status=$$?; testbed/testbed.sh down; exit $$status

# --- operator ------------------------------------------------------------------------------------
.PHONY: run install uninstall
run: build testbed-up ## Run the operator locally against the test bed
	KUBECONFIG=$(KUBECONFIG_TESTBED) java -jar operator/target/operator.jar

install: $(TARGET_CLUSTER) ## Install the CRDs into the test bed (or KUBECONFIG's cluster with KUBECTL=kubectl)
	$(KUBECTL) apply --server-side --force-conflicts --field-manager=pg-trickle -f deploy/crds/

uninstall: ## Remove the CRDs
	$(KUBECTL) delete --ignore-not-found -f deploy/crds/

# --- packaging -----------------------------------------------------------------------------------
.PHONY: deploy undeploy deploy-sample manifests helm-lint
# On the test bed kwok only simulates the operator's pod; `make run` runs the operator for real.
deploy: install ## Deploy the operator from deploy/operator.yaml (namespace pg-trickle-system, RBAC)
	$(KUBECTL) apply --server-side --force-conflicts --field-manager=pg-trickle -f deploy/operator.yaml

undeploy: ## Remove the operator (the CRDs and every PostgresCluster stay; see uninstall)
	$(KUBECTL) delete --ignore-not-found -f deploy/operator.yaml

deploy-sample: $(TARGET_CLUSTER) ## Create the sample PostgresCluster config/samples/basic-cluster.yaml
	$(KUBECTL) apply -f config/samples/basic-cluster.yaml

manifests: deps ## Regenerate deploy/operator.yaml from the Helm chart charts/pg-trickle
	$(MVN) -q -pl operator -am -Prun-test-main -DskipTests process-test-classes \
	  -Dtest.main.class=io.pgtrickle.operator.packaging.DeployManifests

helm-lint: deps ## Lint the Helm chart and check what it renders (Helm's library via helm-java, no CLI)
	$(MVN) -q -pl operator -am test -Dtest=HelmChartTest,MetricsAdapterChartTest -Dsurefire.failIfNoSpecifiedTests=false

# --- demo ----------------------------------------------------------------------------------------
.PHONY: demo demo-down
demo: ## The main job: test bed, operator, metrics adapter, a PostgresCluster, a StreamTableCluster, a stream table kept fresh, workers autoscaled on CDC lag
	hack/demo.sh

demo-down: ## Stop what `make demo` started
	hack/demo.sh down

.PHONY: demo-s3
demo-s3: ## After `make demo`: a local S3 server, its Secrets and the spec.backup to try backups with (seed 002 Ticket 3)
	hack/demo-s3.sh

.PHONY: demo-stop-check
demo-stop-check: ## Issue #18's stop sequence under timeout: no pod process outlives the test bed (about 6 min once built)
	hack/demo-stop-check.sh

# --- benchmarks ----------------------------------------------------------------------------------
.PHONY: bench-reconcile bench-failover bench-backup bench-changelog bench-cdc bench-worker bench-refresh bench-dvm profile-changelog profile-cdc bench-hpa bench-pipeline bench-bigtxn
# One change-log backend only: make bench-changelog BENCH_BACKENDS=wal; a quick, noisier run:
# BENCH_EVENTS=200000 BENCH_ROUNDS=4 (default: 6 interleaved rounds of 1,000,000 events each side, each first in 3)
BENCH_BACKENDS ?= all
BENCH_EVENTS ?= 1000000
BENCH_ROUNDS ?= 6
# More URI parameters for the PostgreSQL backend under test (its floor unchanged), e.g. BENCH_PG_PARAMS='&pool=4'
BENCH_PG_PARAMS ?=
BENCH_CHANGELOG = $(MVN) -q -pl change-log -am -Pbench-changelog -DskipTests verify -Dbench.backends=$(BENCH_BACKENDS) \
	  -Dbench.events=$(BENCH_EVENTS) -Dbench.rounds=$(BENCH_ROUNDS) '-Dbench.pgParams=$(BENCH_PG_PARAMS)'
bench-changelog: deps-test ## Change-log publish throughput vs each backend's floor, 6 interleaved rounds of 1M events (about 25 min on a loaded machine)
	$(BENCH_CHANGELOG)

# JFR of the bench JVM (the publishers and the backend's client side); summary printed, file kept.
PROFILE_DIR := $(ROOT)/target/profile
profile-changelog: deps-test ## JFR recording of bench-changelog's JVM (default: PostgreSQL tables, 1 round), with a summary
	mkdir -p $(PROFILE_DIR)
	$(MVN) -q -pl change-log -am -Pbench-changelog -DskipTests verify \
	  -Dbench.backends=$(if $(filter all,$(BENCH_BACKENDS)),postgres,$(BENCH_BACKENDS)) \
	  -Dbench.events=$(BENCH_EVENTS) -Dbench.rounds=1 \
	  -Dbench.jvmArg=-XX:StartFlightRecording=filename=$(PROFILE_DIR)/changelog.jfr,settings=profile
	hack/jfr-summary.sh $(PROFILE_DIR)/changelog.jfr

# One change-log backend only: make bench-cdc CDC_BENCH_BACKENDS=nats; writes over 4 tables: CDC_BENCH_TABLES=4;
# a source replicating synchronously (the consumer's gate waits for its standby): CDC_BENCH_SYNC=true;
# an asynchronous standby whose flush the consumer waits for: CDC_BENCH_ASYNC_STANDBY=true (the wait off: CDC_BENCH_ASYNC_HOLD_MS=0)
# A quick, noisier run: CDC_BENCH_EVENTS=200000 CDC_BENCH_ROUNDS=2 (default: 6 rounds of 1,000,000 events);
# seconds at 5k events/s before the lag is measured: CDC_BENCH_WARMUP (default 60)
CDC_BENCH_BACKENDS ?= all
CDC_BENCH_TABLES ?= 1
CDC_BENCH_SYNC ?= false
CDC_BENCH_ASYNC_STANDBY ?= false
CDC_BENCH_ASYNC_HOLD_MS ?= 5000
CDC_BENCH_EVENTS ?= 1000000
CDC_BENCH_ROUNDS ?= 6
CDC_BENCH_WARMUP ?= 60
BENCH_CDC = $(MVN) -q -pl cdc-consumer -am -Pbench-cdc -DskipTests verify -Dbench.backends=$(CDC_BENCH_BACKENDS) \
	  -Dbench.tables=$(CDC_BENCH_TABLES) -Dbench.synchronous=$(CDC_BENCH_SYNC) \
	  -Dbench.asyncStandby=$(CDC_BENCH_ASYNC_STANDBY) -Dbench.asyncHoldMs=$(CDC_BENCH_ASYNC_HOLD_MS) \
	  -Dbench.events=$(CDC_BENCH_EVENTS) -Dbench.rounds=$(CDC_BENCH_ROUNDS) -Dbench.warmupSeconds=$(CDC_BENCH_WARMUP)
bench-cdc: deps-test ## CDC consumer events/s vs pg_recvlogical (5 interleaved rounds of 1M events), lag at 5k events/s (about 26 min on a loaded machine)
	$(BENCH_CDC)

profile-cdc: deps-test ## JFR recording of bench-cdc's JVM (the consumer; default: PostgreSQL tables, 1 round), with a summary
	mkdir -p $(PROFILE_DIR)
	$(MVN) -q -pl cdc-consumer -am -Pbench-cdc -DskipTests verify \
	  -Dbench.backends=$(if $(filter all,$(CDC_BENCH_BACKENDS)),postgres,$(CDC_BENCH_BACKENDS)) \
	  -Dbench.tables=$(CDC_BENCH_TABLES) -Dbench.events=$(CDC_BENCH_EVENTS) -Dbench.rounds=1 \
	  -Dbench.jvmArg=-XX:StartFlightRecording=filename=$(PROFILE_DIR)/cdc.jfr,settings=profile
	hack/jfr-summary.sh $(PROFILE_DIR)/cdc.jfr

# One size or rate only: make bench-dvm DVM_BENCH_SIZES=100000 DVM_BENCH_RATES=0.01; another major: DVM_BENCH_PG=18
DVM_BENCH_SIZES ?= 100000,1000000
DVM_BENCH_RATES ?= 0.01,0.10
DVM_BENCH_PG ?= 15
bench-dvm: deps-test ## Differential refresh vs REFRESH MATERIALIZED VIEW: pg_trickle's matrix, 100K/1M rows, 1%/10% (about 10 min)
	$(MVN) -q -pl worker -am -Pbench-dvm -DskipTests verify -Dbench.sizes=$(DVM_BENCH_SIZES) -Dbench.rates=$(DVM_BENCH_RATES) -Dbench.pg=$(DVM_BENCH_PG)

# The worker's refresh path statement by statement; fewer changes: make bench-refresh REFRESH_BENCH_CHANGES=40
REFRESH_BENCH_CHANGES ?= 40,1000
bench-refresh: deps-test ## Worker: one refresh's round trips and statements, ms per refresh vs REFRESH MATERIALIZED VIEW (about 2 min)
	$(MVN) -q -pl worker -am -Pbench-refresh -DskipTests verify -Dbench.changes=$(REFRESH_BENCH_CHANGES)

# One large source transaction by size (interleave them); more stream tables: BIGTXN_STREAM_TABLES=26
BIGTXN_SIZES ?= 100000,400000,200000,800000
BIGTXN_STREAM_TABLES ?= 6
bench-bigtxn: deps-test ## One large source transaction through cdc-consumer, change log and worker: ms to capture, ingest and visible by size (about 5 min)
	rm -rf worker/target/failsafe-reports
	$(MVN) -q -pl worker -am -Pit verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dit.test=BigTransactionIT -Dfailsafe.failIfNoSpecifiedTests=false \
	  -Dbigtxn.sizes=$(BIGTXN_SIZES) -Dbigtxn.st=$(BIGTXN_STREAM_TABLES)
	sed -n '/^BIGTXN TABLE/,$$p' worker/target/failsafe-reports/io.pgtrickle.worker.it.BigTransactionIT-output.txt

# The NATS change log instead of PostgreSQL tables: make bench-worker WORKER_BENCH_BACKEND=nats
WORKER_BENCH_BACKEND ?= postgres
bench-worker: deps-test ## Worker: freshness p50/p95 at 5k changes/s (schedule 1s), FULL vs REFRESH MATERIALIZED VIEW (about 2 min)
	$(MVN) -q -pl worker -am -Pbench-worker -DskipTests verify -Dbench.backend=$(WORKER_BENCH_BACKEND)

# Fewer rounds: make bench-hpa HPA_BENCH_ROUNDS=2
HPA_BENCH_ROUNDS ?= 5
bench-hpa: deps-test ## HPA on CDC lag through the metrics adapter: scale-up/down seconds, stock 15 s vs tuned 1 s sync (test bed restarted and left down; about 30 min)
	$(MVN) -q -pl metrics-adapter -am -Pbench-hpa -DskipTests verify -Dbench.rounds=$(HPA_BENCH_ROUNDS)

# Other sizes or a longer measurement: make bench-pipeline PIPELINE_BENCH_WORKERS=1,2 PIPELINE_BENCH_SECONDS=60
PIPELINE_BENCH_WORKERS ?= 1,2,4
PIPELINE_BENCH_SECONDS ?= 30
bench-pipeline: deps-test testbed-up ## Whole pipeline on the test bed: freshness p95 and worker CPU with 1, 2, 4 workers at 5k changes/s, 8 stream tables (about 6 min)
	$(MVN) -q -pl e2e -am -Pbench-pipeline -DskipTests verify \
	  -Dbench.workers=$(PIPELINE_BENCH_WORKERS) -Dbench.seconds=$(PIPELINE_BENCH_SECONDS)

bench-reconcile: deps testbed-up ## Reconcile latency (p50/p99 over 50 clusters) and RSS with 200 clusters
	$(MVN) -q -pl operator -am -Pbench -DskipTests verify

# Another major: make bench-failover PG_VERSION=17; fewer rounds: FAILOVER_ROUNDS=3
PG_VERSION ?= 15
FAILOVER_ROUNDS ?= 10
bench-failover: deps-test testbed-up ## Failover recovery (10 crash + 10 graceful, real Patroni, synchronous, under writes; about 8 min)
	$(MVN) -q -pl operator -am -Pbench -DskipTests verify \
	  -Dbench.mainClass=io.pgtrickle.operator.bench.FailoverBenchmark \
	  -Dit.pg.version=$(PG_VERSION) -Dbench.failover.rounds=$(FAILOVER_ROUNDS)

# A quick run on a smaller database: make bench-backup BACKUP_BENCH_MB=256; another major: PG_VERSION=17.
# The member's tmpfs volume holds the database, up to max_wal_size (1 GB) of WAL and what is not
# archived yet: 3 times the database plus 2 GB, at least the test bed's 4 GB.
BACKUP_BENCH_MB ?= 2048
BACKUP_BENCH_VOLUMES = $(shell echo $$(( $(BACKUP_BENCH_MB) * 3 / 1024 + 2 > 4 ? $(BACKUP_BENCH_MB) * 3 / 1024 + 2 : 4 )))g
# pgBackRest options for every benchmarked backup, and of a second backup right after each
# (measured in pairs): make bench-backup BACKUP_BENCH_COMPARE='--no-repo1-bundle'
BACKUP_BENCH_OPTIONS ?=
BACKUP_BENCH_COMPARE ?=
bench-backup: deps-test testbed-up ## pgBackRest to S3 (zstd, process-max 1/2) vs pg_basebackup, restore MB/s, archive lag p95 (2 GB; about 20 min)
	$(MVN) -q -pl operator -am -Pit,bench -DskipTests verify \
	  -Dbench.mainClass=io.pgtrickle.operator.bench.BackupBenchmark \
	  -Dit.pg.version=$(PG_VERSION) -Dbench.backup.mb=$(BACKUP_BENCH_MB) -Dtestbed.volumesSize=$(BACKUP_BENCH_VOLUMES) \
	  -Dbench.backup.options='$(BACKUP_BENCH_OPTIONS)' -Dbench.backup.compare='$(BACKUP_BENCH_COMPARE)' \
	  -Ds3proxy.jar=$(CURDIR)/operator/target/s3proxy/s3proxy.jar
