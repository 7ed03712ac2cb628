// Package config reads every setting of the saasbridge programs from the environment.
//
// Temporal settings use Temporal's own variable names so that the CLI, the Web UI and
// these programs can share one .env file. A missing or malformed setting is reported
// together with every other bad one, each by its variable name, so an operator fixes
// the environment in one pass instead of one restart per mistake.
//
// The package's files follow its jobs: sections.go and programs.go are the settings
// (one struct per section; what every program reads, Common, and the worker's and the
// starter's own), values.go the value types that parse themselves (keys, secrets,
// switches), load.go reads the environment and explains what is wrong, and validate.go
// holds each section's own checks.
package config
