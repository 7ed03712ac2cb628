// Package simkit is the machinery the API simulators (highlevelsim,
// actionstepsim) share: the fault model (error rate, latency and spikes,
// 429 bursts, scripted rules, drop-after-commit, all from a seeded random
// source), call accounting, request bookkeeping, the sliding-window rate
// limit, the admin API's server and client plumbing, the consent-page
// protocol, token bookkeeping and a settable clock for tests.
//
// It knows nothing of any provider: error bodies, endpoint names, OAuth
// details and what a call or rule is scoped to (a location, an
// organisation) stay in each simulator, which keeps its own exported types
// and converts at the edges.
package simkit
