# The README's two commands: `make demo` runs the main job, `make test` passes the tests.
GO ?= go

.PHONY: demo test build fuzz migrate

demo:
	$(GO) run ./cmd/hibobsync demo

test:
	$(GO) vet ./...
	$(GO) test -race -timeout 30m ./...

# The database schema, brought up to date: DATABASE_URL, else 127.0.0.1:5432, else a throwaway
# cluster in .data/postgres (see store/pglocal).
migrate:
	$(GO) run ./cmd/hibobsync migrate

build:
	$(GO) build -o bin/hibobsync ./cmd/hibobsync

# A longer run of the response normaliser's fuzz test than `make test` does (it runs the seed corpus).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzNormalize -fuzztime 60s ./hibob/
