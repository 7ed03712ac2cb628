// Package logging builds the zap logger every saasbridge program uses and adapts it to
// the Temporal SDK's logger interface, so SDK, workflow and activity logs come out of one
// pipeline with one format.
//
// Nothing here can tell a secret from any other string, so the rule is upstream: callers
// log IDs, endpoints and status codes, never tokens, secrets or raw bodies.
package logging

import (
	"fmt"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a JSON logger (production) or a colourless console logger (local dev).
func New(level, format string) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
	default:
		return nil, fmt.Errorf("log format %q: want json or console", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.EncoderConfig.TimeKey = "ts"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	// Sampling would drop repeated lines during a bulk install, which is exactly when an
	// operator needs every one of them.
	cfg.Sampling = nil
	return cfg.Build()
}

// Temporal adapts a zap logger to go.temporal.io/sdk/log.Logger.
type Temporal struct{ z *zap.Logger }

var (
	_ log.Logger          = Temporal{}
	_ log.WithLogger      = Temporal{}
	_ log.WithSkipCallers = Temporal{}
)

// NewTemporal wraps z for client.Options.Logger. The caller skip makes zap report the
// line that called the SDK logger, not this adapter.
func NewTemporal(z *zap.Logger) Temporal {
	return Temporal{z: z.WithOptions(zap.AddCallerSkip(1))}
}

func (t Temporal) Debug(msg string, kv ...any) { t.z.Debug(msg, fields(kv)...) }
func (t Temporal) Info(msg string, kv ...any)  { t.z.Info(msg, fields(kv)...) }
func (t Temporal) Warn(msg string, kv ...any)  { t.z.Warn(msg, fields(kv)...) }
func (t Temporal) Error(msg string, kv ...any) { t.z.Error(msg, fields(kv)...) }

// With returns a child logger carrying kv on every line.
func (t Temporal) With(kv ...any) log.Logger { return Temporal{z: t.z.With(fields(kv)...)} }

// WithCallerSkip returns a child that skips n more frames when reporting the caller.
func (t Temporal) WithCallerSkip(n int) log.Logger {
	return Temporal{z: t.z.WithOptions(zap.AddCallerSkip(n))}
}

// fields turns the SDK's alternating key/value list into zap fields. A dangling key or
// a non-string key is kept rather than dropped, so a malformed call is visible.
func fields(kv []any) []zap.Field {
	out := make([]zap.Field, 0, (len(kv)+1)/2)
	for i := 0; i < len(kv); i += 2 {
		key, ok := kv[i].(string)
		if !ok {
			key = fmt.Sprint(kv[i])
		}
		if i+1 >= len(kv) {
			out = append(out, zap.String("!BADKEY", key))
			break
		}
		switch v := kv[i+1].(type) {
		case error:
			out = append(out, zap.NamedError(key, v))
		default:
			out = append(out, zap.Any(key, v))
		}
	}
	return out
}
