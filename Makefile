# The README's two commands: `make demo` runs the main job, `make test` passes the tests.
GO ?= go

.PHONY: demo test build fuzz migrate bench bench-store temporal workflowcheck compose-check

# The whole system on this machine, telling the story of one customer's connection (see the
# README): the Temporal dev server (UI on http://127.0.0.1:8233), Postgres, a simulated HiBob,
# the worker and the API, all in one process, its state in .data/. Stays up until Ctrl-C.
demo: temporal
	$(GO) run ./cmd/hibobsync demo

# Installs what the tests need (the Temporal CLI), then vet, workflowcheck, the compose file's
# syntax and every test.
test: temporal compose-check
	$(GO) vet ./...
	$(GO) tool workflowcheck ./...
	$(GO) test -race -timeout 30m ./...

# docker-compose.yml checked by docker compose itself, where there is one (a docker client
# without the compose plugin, as on these machines, skips the check).
compose-check:
	@if docker compose version >/dev/null 2>&1; then \
		docker compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"; \
	else \
		echo "docker compose is not available here: skipping the docker-compose.yml check"; \
	fi

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

# The end-to-end benchmark of issue 6 (package bench): the dev server, Postgres, the simulated
# HiBob and a worker on this machine; a 100,000-employee tenant's full sync beside its floors, a
# 1%-changed resync at 50 searches a second, 200 tenants of 1,000 synced at once by one worker
# process, and the Temporal cost of a sync cycle. Prints one table (progress goes to stderr).
bench: temporal
	$(GO) test -run '^$$' -bench BenchmarkEndToEnd -benchtime 1x -timeout 20m ./bench/
