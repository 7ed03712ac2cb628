package main

import (
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

// allowlist is the set of agencies (HighLevel companies) saasbridge serves.
type allowlist map[string]bool

func newAllowlist(companies []string) allowlist {
	a := allowlist{}
	for _, c := range companies {
		a[c] = true
	}
	return a
}

// foreign reports whether a verified webhook names a company saasbridge does not serve.
// HighLevel signs every app's webhooks with one key, and LocationCreate/LocationUpdate
// carry no appId: a valid signature says the event came from HighLevel, not that it is
// ours. Such an event is acknowledged (so HighLevel does not redeliver), counted, and
// starts nothing. An event that names no company (a location UNINSTALL) is left to the
// routing, which finds the company from the location's stored token.
func (g *gateway) foreign(ev highlevel.WebhookEvent, log *zap.Logger) bool {
	if ev.CompanyID == "" || g.companies[ev.CompanyID] {
		return false
	}
	log.Info("webhook for a company saasbridge does not serve acknowledged without action")
	return true
}
