# The README's two commands: `make demo` runs the main job, `make test` passes the tests.
GO ?= go

.PHONY: demo test build fuzz migrate bench-store temporal workflowcheck

demo:
	$(GO) run ./cmd/hibobsync demo

# Installs what the tests need (the Temporal CLI), then vet, workflowcheck and every test.
test: temporal
	$(GO) vet ./...
	$(GO) tool workflowcheck ./...
	$(GO) test -race -timeout 30m ./...

# The Temporal CLI, pinned: its dev server runs the workflow tests, the demo and the benchmarks
# (devserver package). Built from the Go module proxy into bin/ when bin/temporal is missing or
# another version (CLI releases after v1.5.1 cannot be built this way: design.md, "Run it").
# About 3 minutes and 250 MB the first time.
TEMPORAL_CLI_VERSION = v1.5.1
temporal:
	@if ! $(GO) version -m bin/temporal 2>/dev/null | grep -Eq '^[[:space:]]+mod[[:space:]]+github.com/temporalio/cli[[:space:]]+$(TEMPORAL_CLI_VERSION)[[:space:]]'; then \
		echo "Installing the Temporal CLI $(TEMPORAL_CLI_VERSION) into bin/ (about 3 minutes the first time)"; \
		GOBIN="$(CURDIR)/bin" $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION); \
	fi

# The static determinism check of the registered workflows (a go tool of the module, in go.mod).
workflowcheck:
	$(GO) tool workflowcheck ./...

# The database schema, brought up to date: DATABASE_URL, else 127.0.0.1:5432, else a throwaway
# cluster in .data/postgres (see store/pglocal).
migrate:
	$(GO) run ./cmd/hibobsync migrate

build:
	$(GO) build -o bin/hibobsync ./cmd/hibobsync

# A longer run of the response normaliser's fuzz test than `make test` does (it runs the seed corpus).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzNormalize -fuzztime 60s ./hibob/

# The store benchmark of issue 3 on a real Postgres (found as for the tests): a 100,000-employee
# baseline, a 1%-changed run and an unchanged run beside a raw COPY and a naive upsert loop.
bench-store:
	$(GO) test -run '^$$' -bench BenchmarkApply -benchtime 1x ./store/
