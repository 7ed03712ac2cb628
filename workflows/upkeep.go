package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// UpkeepInput configures a credential-upkeep run. Horizon is how far ahead to look:
// a credential whose refresh token would lapse within it is refreshed now. The
// schedule sets it to twice its interval, so a missed run changes nothing.
type UpkeepInput struct {
	Horizon time.Duration `json:"horizon"`
}

// UpkeepReport says what a credential-upkeep run did.
type UpkeepReport struct {
	Refreshed      []string `json:"refreshed"`
	NeedsReconnect []string `json:"needsReconnect"`
	Suspended      []string `json:"suspended"`
	Checked        int      `json:"checked"`
}

// refreshTokenLifetime is how long a refresh token lives unused: Actionstep's die
// after 21 days, HighLevel's after a year (reference docs). A day of margin covers
// clock skew and a slow run.
func refreshTokenLifetime(kind string) time.Duration {
	if kind == string(tokens.KindActionstep) {
		return 21*24*time.Hour - 24*time.Hour
	}
	return 365*24*time.Hour - 24*time.Hour
}

// CredentialUpkeep (docs/architecture.md) refreshes every credential whose refresh token
// would lapse before the next run and reports those that need a person to reconnect.
func CredentialUpkeep(ctx workflow.Context, in UpkeepInput) (UpkeepReport, error) {
	var list []activities.CredentialInfo
	if err := workflow.ExecuteActivity(withStore(ctx, "Token store: list credentials"), creds.ListCredentials).Get(ctx, &list); err != nil {
		return UpkeepReport{}, err
	}
	now := workflow.Now(ctx)
	report := UpkeepReport{Checked: len(list)}
	for _, c := range list {
		switch c.Status {
		case string(tokens.StatusReconnectNeeded):
			report.NeedsReconnect = append(report.NeedsReconnect, c.Key)
			continue
		case string(tokens.StatusSuspended):
			// Refreshing would only be refused until the location is active again.
			report.Suspended = append(report.Suspended, c.Key)
			continue
		}
		if now.Sub(c.UpdatedAt)+in.Horizon < refreshTokenLifetime(c.Kind) {
			continue
		}
		var outcome string
		if err := workflow.ExecuteActivity(withTokenRefresh(ctx, "Refresh "+c.Key), creds.RefreshCredential, c.Key).Get(ctx, &outcome); err != nil {
			workflow.GetLogger(ctx).Warn("credential refresh failed", "credential", c.Key, "error", err)
			continue
		}
		switch outcome {
		case activities.RefreshOK:
			report.Refreshed = append(report.Refreshed, c.Key)
		case activities.RefreshSuspended:
			report.Suspended = append(report.Suspended, c.Key)
		case activities.RefreshReconnectNeeded:
			report.NeedsReconnect = append(report.NeedsReconnect, c.Key)
		}
	}
	slices.Sort(report.NeedsReconnect)
	if len(report.NeedsReconnect) > 0 {
		workflow.GetLogger(ctx).Warn("credentials need reconnecting", "credentials", strings.Join(report.NeedsReconnect, ","))
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Credential upkeep**: %d checked, %d refreshed, %d suspended, %d need reconnecting %v",
		report.Checked, len(report.Refreshed), len(report.Suspended), len(report.NeedsReconnect), report.NeedsReconnect))
	return report, nil
}
