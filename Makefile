# Tandem's developer entry points. `make test` is the test command CI runs.
GO ?= go

.PHONY: build test bench run clean

# A static binary: without cgo the dynamic loader and libc start-up are
# gone, which every push pays once more, as Tandem is also its own git hook.
build:
	CGO_ENABLED=0 $(GO) build -o tandem ./cmd/tandem

# Every unit, contract (SQLite and PostgreSQL) and end-to-end test.
test:
	$(GO) test -count=1 -timeout 20m ./...

# End-to-end benchmarks against raw git on the same repositories; each
# reports medians and the ratio to the physical limit measured in the run.
bench:
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 15x -timeout 30m ./internal/e2e/

# Initialize a site in ./site and run it (SQLite).
run: build
	./tandem init -d site --batch
	./tandem daemon -d site

clean:
	rm -rf tandem site
