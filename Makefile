# saasbridge — every command a newcomer or CI needs.
#   make dev    run everything locally (Temporal dev server + Web UI, sandbox APIs, worker, starter)
#   make test   run every test CI runs (lint, unit, integration, end to end, with -race)

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin

TEMPORAL_CLI_VERSION    := v1.5.1
TEMPORAL_SERVER_VERSION := v1.29.1
# The Web UI the CLI's dev server embeds (temporalio/cli v1.5.1 requires ui-server v2.42.1),
# as a program of its own: the dev server's UI can only show the dev server itself.
TEMPORAL_UI_VERSION     := v2.42.1
STATICCHECK_VERSION     := v0.8.2
GOLANGCI_VERSION        := v2.15.0

TEMPORAL        := $(BIN)/temporal
TEMPORAL_SERVER := $(BIN)/temporal-server
TEMPORAL_SQL    := $(BIN)/temporal-sql-tool
TEMPORAL_UI     := $(BIN)/temporal-ui-server
CLUSTER_TOOLS   := $(TEMPORAL) $(TEMPORAL_SERVER) $(TEMPORAL_SQL) $(TEMPORAL_UI)
STATICCHECK     := $(BIN)/staticcheck
GOLANGCI        := $(BIN)/golangci-lint
PROGRAMS        := $(BIN)/worker $(BIN)/starter $(BIN)/sandbox

# Test timeout for the whole suite; the suite itself aims for well under 15 minutes.
TEST_TIMEOUT ?= 30m

# make chaos's PostgreSQL for the cluster: its own, so that stopping it at the end cannot
# pull the tests' server (54329) from under a `make test` running at the same time.
CHAOS_PG_PORT ?= 54331

.PHONY: dev test unit lint build bench chaos chaos-dev chaos-cluster cluster cluster-tools histories onboard tools clean

# The Temporal CLI (dev server + Web UI) is built from the Go module proxy; later
# versions cannot be built here. About 3 minutes once, then cached in bin/.
$(TEMPORAL):
	@echo ">> building the Temporal CLI $(TEMPORAL_CLI_VERSION) into bin/ (one-time, a few minutes)"
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

# The real Temporal server and its schema tool, from the module proxy (about 5 minutes
# once, then cached in bin/). `go install` names a binary after its package's directory
# (server, sql, server), so each is installed into a directory of its own and renamed
# the way Temporal's own Makefile names them.
define go-install-as
	@echo ">> building $(notdir $@) ($(1)) into bin/ (one-time)"
	rm -rf $@.tmp && GOBIN=$@.tmp $(GO) install $(1) && mv $@.tmp/* $@ && rmdir $@.tmp
endef

$(TEMPORAL_SERVER):
	$(call go-install-as,go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION))

$(TEMPORAL_SQL):
	$(call go-install-as,go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION))

$(TEMPORAL_UI):
	$(call go-install-as,github.com/temporalio/ui-server/v2/cmd/server@$(TEMPORAL_UI_VERSION))

cluster-tools: $(CLUSTER_TOOLS)

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOLANGCI):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

tools: $(TEMPORAL) $(STATICCHECK) $(GOLANGCI)

build:
	$(GO) build -o $(BIN)/worker ./worker
	$(GO) build -o $(BIN)/starter ./starter
	$(GO) build -o $(BIN)/sandbox ./internal/sandbox/cmd/sandbox

## dev: the whole thing on loopback; Ctrl-C stops everything.
dev: $(TEMPORAL) build
	@./scripts/dev.sh

## cluster: a real Temporal cluster on loopback: PostgreSQL, frontend, history, matching
## and worker as separate processes (ports in deploy/cluster/cluster.yaml), the namespace
## and search attributes registered, and the Web UI; Ctrl-C stops it, keeping its data.
cluster: $(CLUSTER_TOOLS) build
	@./scripts/cluster.sh up

## onboard: onboard a location against the running `make dev` stack.
onboard: build
	@./scripts/dev.sh onboard $(LOCATION)

lint: $(STATICCHECK) $(GOLANGCI)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GOLANGCI) run ./...

unit:
	$(GO) test -race -count=1 -short ./...

## test: everything CI runs. End-to-end tests start their own Temporal dev server
## (bin/temporal), sandbox, workers and starter on loopback; the token store's
## PostgreSQL tests get a throwaway server, the Web UI and console tests Debian's
## Chromium, the alert rules Debian's promtool (each installed when absent). Then a short subset runs again on the real cluster
## (make cluster's, on the same PostgreSQL): onboarding, subscription changes and
## offboarding, and kill -9 of its history and of its matching service mid-install.
CLUSTER_SUBSET := ^(TestOnboardingProvisionsActionstep|TestBillingEventsReachHighLevelInOrder|TestChaos)$$/^kill_-9_the_
test: $(CLUSTER_TOOLS) lint
	@dsn=$$(./scripts/postgres.sh start) && chromium=$$(./scripts/chromium.sh) && promtool=$$(./scripts/promtool.sh) || exit 1; \
	echo "SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn SAASBRIDGE_CHROMIUM=$$chromium SAASBRIDGE_PROMTOOL=$$promtool SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./..."; \
	SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn SAASBRIDGE_CHROMIUM=$$chromium SAASBRIDGE_PROMTOOL=$$promtool SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) \
		$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...; rc=$$?; \
	echo "SAASBRIDGE_E2E_CLUSTER=1 SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) $(GO) test -race -count=1 -run '$(CLUSTER_SUBSET)' ./internal/e2e/"; \
	SAASBRIDGE_E2E_CLUSTER=1 SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) \
		$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -run '$(CLUSTER_SUBSET)' ./internal/e2e/ || rc=1; \
	./scripts/postgres.sh stop >/dev/null; exit $$rc

## bench: figures named by the issues, printed as tables (docs/benchmarks.md), about 25
## minutes; the ten agencies × 100 locations row alone takes 7–8 minutes on two cores
## (SAASBRIDGE_BENCH_PER_AGENCY=20 scales it down). BENCH=<regexp> runs only the
## benchmarks it names.
BENCH ?= .
bench: $(TEMPORAL)
	SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) SAASBRIDGE_E2E_BENCH=1 $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 120m ./internal/e2e/

## chaos: the fault scenarios at full size (200 locations each, a minute of refresh
## storm) three runs in a row on the dev server, then the interleaving audit at 200
## locations with 5 seeds; then once on the cluster of `make cluster`, where they add
## kill -9 of its history and of its matching service, and the rest of the e2e suite
## (the audit among it) on the cluster (on a stack of its own: after the scenarios the
## store holds some 1,300 credentials, which the upkeep test would have to refresh).
## `make test` runs both scaled down, on the dev server. `make chaos-dev` and
## `make chaos-cluster` run each half.
CHAOS_FILTER  := grep -E '^(=== RUN|--- |\s+---|PASS|FAIL|ok)|refresher'
CLUSTER_E2E   := SAASBRIDGE_E2E_CLUSTER=1 SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) $(GO) test -race -count=1 -timeout 90m -v
chaos: chaos-dev chaos-cluster

chaos-dev: $(TEMPORAL)
	set -o pipefail; SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) SAASBRIDGE_CHAOS_SCALE=20 $(GO) test -race -count=3 -timeout 90m -run '^TestChaos$$' -v ./internal/e2e/ | $(CHAOS_FILTER)
	set -o pipefail; SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) SAASBRIDGE_CHAOS_SCALE=20 $(GO) test -race -count=1 -timeout 90m -run '^TestInterleavingAudit$$' -v ./internal/e2e/ | grep -E '^(=== RUN|--- |\s+---|PASS|FAIL|ok)|audit|replay with'

chaos-cluster: $(CLUSTER_TOOLS)
	@set -o pipefail; dsn=$$(SAASBRIDGE_PG_PORT=$(CHAOS_PG_PORT) ./scripts/postgres.sh start) || exit 1; rc=0; \
	echo "SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn SAASBRIDGE_CHAOS_SCALE=20 $(CLUSTER_E2E) -run '^TestChaos$$' ./internal/e2e/"; \
	SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn SAASBRIDGE_CHAOS_SCALE=20 $(CLUSTER_E2E) -run '^TestChaos$$' ./internal/e2e/ | $(CHAOS_FILTER) || rc=1; \
	echo "SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn $(CLUSTER_E2E) -skip '^TestChaos$$' ./internal/e2e/"; \
	SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn $(CLUSTER_E2E) -skip '^TestChaos$$' ./internal/e2e/ | $(CHAOS_FILTER) || rc=1; \
	SAASBRIDGE_PG_PORT=$(CHAOS_PG_PORT) ./scripts/postgres.sh stop >/dev/null; exit $$rc

## histories: record replay fixtures from a real dev server into workflows/testdata.
histories: $(TEMPORAL)
	SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) SAASBRIDGE_RECORD_HISTORIES=1 $(GO) test -count=1 -timeout 30m -run TestRecordHistories ./internal/e2e/

clean:
	rm -rf $(BIN) build
