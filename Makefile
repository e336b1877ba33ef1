# The two commands a newcomer needs are in README.md; these are shortcuts.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.PHONY: demo test test-sqlite build ci

demo:
	go run ./cmd/mentalspace demo

test:
	MENTALSPACE_TEST_DATABASE_URL='$(TEST_DATABASE_URL)' go test ./...

test-sqlite:
	go test ./...

build:
	go build -o mentalspace ./cmd/mentalspace

ci:
	bash .ci/run
