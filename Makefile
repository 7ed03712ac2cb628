# saasbridge — every command a newcomer or CI needs.
#   make dev    run everything locally (Temporal dev server + Web UI, sandbox APIs, worker, starter)
#   make test   run every test CI runs (lint, unit, integration, end to end, with -race)

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin

TEMPORAL_CLI_VERSION := v1.5.1
STATICCHECK_VERSION  := v0.8.2
GOLANGCI_VERSION     := v2.15.0

TEMPORAL    := $(BIN)/temporal
STATICCHECK := $(BIN)/staticcheck
GOLANGCI    := $(BIN)/golangci-lint
PROGRAMS    := $(BIN)/worker $(BIN)/starter $(BIN)/sandbox

# Test timeout for the whole suite; the suite itself aims for well under 15 minutes.
TEST_TIMEOUT ?= 30m

.PHONY: dev test unit lint build bench chaos histories onboard tools clean

# The Temporal CLI (dev server + Web UI) is built from the Go module proxy; later
# versions cannot be built here. About 3 minutes once, then cached in bin/.
$(TEMPORAL):
	@echo ">> building the Temporal CLI $(TEMPORAL_CLI_VERSION) into bin/ (one-time, a few minutes)"
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

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
## PostgreSQL tests get a throwaway server, and the Web UI test Debian's Chromium
## (both installed when absent).
test: $(TEMPORAL) lint
	@dsn=$$(./scripts/postgres.sh start) && chromium=$$(./scripts/chromium.sh) || exit 1; \
	echo "SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn SAASBRIDGE_CHROMIUM=$$chromium SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./..."; \
	SAASBRIDGE_TEST_POSTGRES_DSN=$$dsn SAASBRIDGE_CHROMIUM=$$chromium SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) \
		$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...; rc=$$?; \
	./scripts/postgres.sh stop >/dev/null; exit $$rc

## bench: figures named by the issues, printed as a table.
bench: $(TEMPORAL)
	SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) SAASBRIDGE_E2E_BENCH=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout $(TEST_TIMEOUT) ./internal/e2e/

## chaos: the fault scenarios at full size (200 locations each, a minute of refresh
## storm), three runs in a row, then the interleaving audit at 200 locations with 5
## seeds; `make test` runs both scaled down.
chaos: $(TEMPORAL)
	set -o pipefail; SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) SAASBRIDGE_CHAOS_SCALE=20 $(GO) test -race -count=3 -timeout 90m -run '^TestChaos$$' -v ./internal/e2e/ | grep -E '^(=== RUN|--- |\s+---|PASS|FAIL|ok)|refresher'
	set -o pipefail; SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) SAASBRIDGE_CHAOS_SCALE=20 $(GO) test -race -count=1 -timeout 90m -run '^TestInterleavingAudit$$' -v ./internal/e2e/ | grep -E '^(=== RUN|--- |\s+---|PASS|FAIL|ok)|audit|replay with'

## histories: record replay fixtures from a real dev server into workflows/testdata.
histories: $(TEMPORAL)
	SAASBRIDGE_TEMPORAL_CLI=$(TEMPORAL) SAASBRIDGE_RECORD_HISTORIES=1 $(GO) test -count=1 -timeout 30m -run TestRecordHistories ./internal/e2e/

clean:
	rm -rf $(BIN) build
