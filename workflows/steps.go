package workflows

// Steps and helpers shared by the location owner (location*.go) and the first
// releases' workflows (legacy_*.go).

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// adjustLocationToken keeps the location token in step with the location: refresh it;
// if the refresh token is dead or missing, mint a new one with the agency token; if
// HighLevel says the location is not active, the store keeps it suspended (refresh
// token kept). It returns the token's status (activities.Token*). With tolerant, a mint
// that HighLevel refuses (the location is not active, or no longer has the app) leaves
// the token dead or suspended instead of failing: the token is the location's upkeep,
// not the event's purpose, and the next event, upkeep or the uninstall deals with it.
func adjustLocationToken(ctx workflow.Context, ref activities.LocationRef, tolerant bool) (string, error) {
	var st activities.LocationTokenState
	if err := workflow.ExecuteActivity(withTokenRefresh(ctx, "HighLevel: refresh location token"),
		hl.RefreshLocationToken, ref).Get(ctx, &st); err != nil {
		return "", err
	}
	if st.Status != activities.TokenDead && st.Status != activities.TokenMissing {
		return st.Status, nil
	}
	var lt activities.LocationToken
	err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: mint location token"), hl.MintLocationToken, ref).Get(ctx, &lt)
	switch {
	case err == nil:
		return activities.TokenActive, nil
	case tolerant && errorType(err) == activities.ErrTypeLocationSuspended:
		return activities.TokenSuspended, nil
	case tolerant && parks(err):
		workflow.GetLogger(ctx).Warn("the location token could not be minted; left for the next event", "locationId", ref.LocationID, "error", err)
		return st.Status, nil
	}
	return "", err
}

// onboardingNote is the file note of an onboarding.
func onboardingNote(r LegacyOnboardingResult) string {
	note := fmt.Sprintf("Onboarded from HighLevel: SaaS mode %s", r.SaaSMode)
	if r.PlanID != "" {
		note += ", plan " + r.PlanID
	}
	if r.SubscriptionID != "" {
		note += fmt.Sprintf(", subscription %s (%s)", r.SubscriptionID, r.SubscriptionStatus)
	}
	if r.AlreadyEnabled {
		note += "; SaaS was already enabled (re-install)"
	}
	return note + "."
}

// onboardingProblems compares what HighLevel reports after an onboarding with what it
// asked for.
func onboardingProblems(in LegacyOnboardingInput, sub activities.SaaSSubscription, inst activities.InstalledLocation) []string {
	var problems []string
	if !sub.Enabled {
		problems = append(problems, fmt.Sprintf("SaaS mode is %q", sub.SaaSMode))
	}
	if in.PlanID != "" && sub.PlanID != in.PlanID {
		problems = append(problems, fmt.Sprintf("plan is %q, want %q", sub.PlanID, in.PlanID))
	}
	if in.HasSubscription() && sub.SubscriptionID != in.SubscriptionID {
		problems = append(problems, fmt.Sprintf("subscription is %q, want %q", sub.SubscriptionID, in.SubscriptionID))
	}
	if !inst.Found || !inst.IsInstalled {
		problems = append(problems, "the app is no longer installed at the location")
	}
	return problems
}

// Statuses from billing systems and HighLevel.
const (
	statusActive = "active"
	statusPaused = "paused"
)

// wantsPause says whether a billing status calls for the location to be paused (true),
// running (false), or leaves it as it is (ok == false): a past-due or incomplete
// payment gets the billing system's grace period, not a pause.
func wantsPause(status string) (pause, ok bool) {
	switch status {
	case statusPaused, "unpaid", "canceled":
		return true, true
	case statusActive, "trialing":
		return false, true
	}
	return false, false
}

// keyword sets a keyword attribute, or unsets it for an empty value so that a filter
// such as "PlanId IS NULL" finds locations without one.
func keyword(key temporal.SearchAttributeKeyKeyword, v string) temporal.SearchAttributeUpdate {
	if v == "" {
		return key.ValueUnset()
	}
	return key.ValueSet(v)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
