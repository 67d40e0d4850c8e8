// Package bench holds the project's end-to-end benchmark (issue 6, "`make bench`: one run, one
// table"): BenchmarkEndToEnd sets up everything on this machine — the Temporal dev server,
// Postgres, the simulated HiBob over HTTP, a worker — drives real connections through the
// starter, and prints one table in which each of the project's figures stands beside its floor
// or target, measured in the same run:
//
//  1. a full sync of a 100,000-employee tenant (no rate limit) against a plain fetch loop with
//     the hibob client plus a raw COPY of the same rows;
//  2. the same tenant's fetch with people search limited to 50 requests a second (HiBob's 50 a
//     minute compressed 60×), against requests ÷ limit, and the 429s it drew;
//  3. a resync with 1% of the employees changed in HiBob: employee rows written, and the apply
//     time as a share of the baseline apply;
//  4. 200 tenants of 1,000 employees connected, approved and synced at once by one worker
//     process: total time, the worker's peak RSS, and every tenant active with exact data;
//  5. the Temporal cost of one sync cycle of the 100,000-employee tenant: history events and the
//     largest payload.
//
// Run it with `make bench` (about 5 minutes on two cores). The package has no code of its own
// beyond the benchmark; under -short, or without -bench, it runs nothing.
package bench
