package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

// actionstepConfig configures the Actionstep simulator (package
// actionstepsim) on its own listener. It is disabled unless a client id
// and secret are given, so existing setups keep working unchanged.
type actionstepConfig struct {
	addr           string
	clientID       string
	clientSecret   string
	seedOrg        string
	autoConsent    *bool // nil: follow the shared -auto-consent
	rotateEndpoint bool
	faults         actionstepsim.Faults
	readings       actionstepsim.Readings
}

func (c actionstepConfig) enabled() bool { return c.clientID != "" || c.clientSecret != "" }

// parseActionstepConfig picks the -actionstep-* flags out of args, with
// their SANDBOX_ACTIONSTEP_* environment fallbacks, and returns the other
// arguments for the shared flag set.
func parseActionstepConfig(args []string, getenv func(string) string) (actionstepConfig, []string, error) {
	env := &envReader{getenv: getenv}
	var cfg actionstepConfig
	var faultsJSON string
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.StringVar(&cfg.addr, "actionstep-addr", env.str("SANDBOX_ACTIONSTEP_ADDR", "127.0.0.1:8082"), "Actionstep simulator listen address (SANDBOX_ACTIONSTEP_ADDR)")
	fs.StringVar(&cfg.clientID, "actionstep-client-id", env.str("SANDBOX_ACTIONSTEP_CLIENT_ID", ""), "Actionstep API client id; with the secret, enables the simulator (SANDBOX_ACTIONSTEP_CLIENT_ID)")
	fs.StringVar(&cfg.clientSecret, "actionstep-client-secret", env.str("SANDBOX_ACTIONSTEP_CLIENT_SECRET", ""), "Actionstep API client secret (SANDBOX_ACTIONSTEP_CLIENT_SECRET)")
	fs.StringVar(&cfg.seedOrg, "actionstep-seed-org", env.str("SANDBOX_ACTIONSTEP_SEED_ORG", ""), "orgkey of a demo organisation to create at start (SANDBOX_ACTIONSTEP_SEED_ORG)")
	if getenv("SANDBOX_ACTIONSTEP_AUTO_CONSENT") != "" {
		b := env.bool("SANDBOX_ACTIONSTEP_AUTO_CONSENT", false)
		cfg.autoConsent = &b
	}
	fs.BoolFunc("actionstep-auto-consent", "approve the Actionstep consent page without a click; default: as -auto-consent (SANDBOX_ACTIONSTEP_AUTO_CONSENT)",
		func(s string) error {
			b, err := strconv.ParseBool(s)
			cfg.autoConsent = &b
			return err
		})
	fs.BoolVar(&cfg.rotateEndpoint, "actionstep-rotate-endpoint", env.bool("SANDBOX_ACTIONSTEP_ROTATE_ENDPOINT", false), "move organisations to a new api_endpoint on every refresh (SANDBOX_ACTIONSTEP_ROTATE_ENDPOINT)")
	var readings string
	fs.StringVar(&readings, "actionstep-readings", env.str("SANDBOX_ACTIONSTEP_READINGS", ""), "how the simulator reads what Actionstep's docs leave open: default, hostile, or name=value,… e.g. values=lazy,wildcard=star (SANDBOX_ACTIONSTEP_READINGS)")
	fs.StringVar(&faultsJSON, "actionstep-faults", env.str("SANDBOX_ACTIONSTEP_FAULTS", ""), "initial Actionstep fault injection as JSON, e.g. {\"errorRate\":0.1} (SANDBOX_ACTIONSTEP_FAULTS)")
	if env.err != nil {
		return cfg, nil, env.err
	}
	mine, rest := splitFlags(fs, args, "actionstep-")
	if err := fs.Parse(mine); err != nil {
		return cfg, nil, err
	}
	if (cfg.clientID == "") != (cfg.clientSecret == "") {
		return cfg, nil, errors.New("SANDBOX_ACTIONSTEP_CLIENT_ID and SANDBOX_ACTIONSTEP_CLIENT_SECRET (or -actionstep-client-id and -actionstep-client-secret) go together")
	}
	if faultsJSON != "" {
		if err := json.Unmarshal([]byte(faultsJSON), &cfg.faults); err != nil {
			return cfg, nil, fmt.Errorf("SANDBOX_ACTIONSTEP_FAULTS: %w", err)
		}
	}
	var err error
	if cfg.readings, err = actionstepsim.ParseReadings(readings); err != nil {
		return cfg, nil, fmt.Errorf("SANDBOX_ACTIONSTEP_READINGS: %w", err)
	}
	return cfg, rest, nil
}

// splitFlags separates the flags whose names start with prefix, with
// their values, from the other arguments.
func splitFlags(fs *flag.FlagSet, args []string, prefix string) (mine, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return mine, append(rest, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !strings.HasPrefix(name, prefix) {
			rest = append(rest, a)
			continue
		}
		mine = append(mine, a)
		if f := fs.Lookup(name); f != nil && !hasValue && !isBoolFlag(f) && i+1 < len(args) {
			i++
			mine = append(mine, args[i])
		}
	}
	return mine, rest
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// withActionstep adds the Actionstep simulator to sims when it is
// configured, seeding the demo organisation if asked.
func withActionstep(sims []simulator, cfg actionstepConfig, sharedAutoConsent, requirePKCE bool, log *zap.Logger) ([]simulator, error) {
	if !cfg.enabled() {
		return sims, nil
	}
	autoConsent := sharedAutoConsent
	if cfg.autoConsent != nil {
		autoConsent = *cfg.autoConsent
	}
	s := actionstepsim.New(actionstepsim.Options{
		ClientID:          cfg.clientID,
		ClientSecret:      cfg.clientSecret,
		AutoConsent:       autoConsent,
		RequirePKCE:       requirePKCE,
		RotateAPIEndpoint: cfg.rotateEndpoint,
		Readings:          cfg.readings,
		Logger:            log,
	})
	// Faults go through SetFaults, not Options, so that a bad
	// SANDBOX_ACTIONSTEP_FAULTS is an error message rather than a panic.
	if _, err := s.SetFaults(cfg.faults); err != nil {
		return nil, fmt.Errorf("SANDBOX_ACTIONSTEP_FAULTS: %w", err)
	}
	if cfg.seedOrg != "" {
		org, err := s.CreateOrg(actionstepsim.OrgSpec{OrgKey: cfg.seedOrg, Name: "Demo Legal"})
		if err != nil {
			return nil, fmt.Errorf("seeding the demo Actionstep organisation: %w", err)
		}
		log.Info("demo organisation seeded", zap.String("orgkey", org.OrgKey), zap.String("apiPath", org.APIPath),
			zap.Int("matterTypeId", org.MatterTypeID), zap.Int("dataCollectionId", org.DataCollectionID))
	}
	return append(sims, simulator{name: "actionstep", addr: cfg.addr, handler: s}), nil
}
