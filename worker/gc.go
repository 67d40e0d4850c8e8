package worker

import "runtime/debug"

// DefaultGCPercent is the garbage-collection target (GOGC) a worker process runs with when the
// environment sets none.
const DefaultGCPercent = 200

// TuneGC sets the process's garbage-collection target to DefaultGCPercent unless GOGC is set
// (the Go runtime has then applied it already). A worker's heap is mostly short-lived: HiBob's
// response bodies and the rows on their way to Postgres. At Go's default of 100, collecting them
// took about a fifth of the worker's CPU in `make bench` and held the rate-limited fetch below
// HiBob's limit on two cores; at 200 the heap may grow to three times what is live rather than
// twice, which the benchmark's 200-tenant worker affords many times over.
func TuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
}
