// Package e2e runs saasbridge end to end: the real worker, starter and sandbox programs
// (built with -race) as separate processes, against a real Temporal dev server started
// from the Temporal CLI in bin/. `make test` and `make bench` run it; `go test -short`
// skips it.
package e2e
