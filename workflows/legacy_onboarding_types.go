package workflows

// LegacyOnboardingInput starts onboarding. It carries ids only; the workflow reads
// credentials from the token store through activities, never from its input.
type LegacyOnboardingInput struct {
	LocationID string `json:"locationId"`
	CompanyID  string `json:"companyId"`
	// PlanID and PriceID pre-configure the SaaS plan when enabling SaaS (optional).
	PlanID  string `json:"planId,omitempty"`
	PriceID string `json:"priceId,omitempty"`
	// SubscriptionID and CustomerID (Stripe sub_…/cus_…) attach an existing
	// subscription; when absent, the subscription step is skipped.
	SubscriptionID string `json:"subscriptionId,omitempty"`
	CustomerID     string `json:"customerId,omitempty"`
	// Trigger says what started the run (cli, webhook INSTALL, reconcile …), for the UI.
	Trigger string `json:"trigger,omitempty"`
}

// HasSubscription reports whether a subscription should be attached.
func (in LegacyOnboardingInput) HasSubscription() bool {
	return in.SubscriptionID != "" && in.CustomerID != ""
}

// LegacyOnboardingResult is what a completed onboarding verified.
type LegacyOnboardingResult struct {
	LocationID string `json:"locationId"`
	CompanyID  string `json:"companyId"`
	// AlreadyEnabled is true when SaaS was on before this run (a re-install): the
	// enable step changed nothing and the verification read confirmed the state.
	AlreadyEnabled     bool   `json:"alreadyEnabled"`
	SaaSMode           string `json:"saasMode"`
	PlanID             string `json:"planId,omitempty"`
	SubscriptionID     string `json:"subscriptionId,omitempty"`
	SubscriptionStatus string `json:"subscriptionStatus,omitempty"`
	// Actionstep is where the location is recorded in Actionstep.
	Actionstep ActionstepRecord `json:"actionstep,omitzero"`
}

// Onboarding steps, in order; each is also the OnboardingStep search attribute value
// while it runs.
const (
	StepConfirmInstall     = "confirm-install"
	StepMintLocationToken  = "mint-location-token"
	StepEnableSaaS         = "enable-saas"
	StepUpdateSubscription = "update-subscription"
	StepVerify             = "verify"
	StepActionstep         = "actionstep"
	StepDone               = "done"
)

// LegacyOnboardingStatus answers StatusQuery.
type LegacyOnboardingStatus struct {
	Step           string   `json:"step"`
	CompletedSteps []string `json:"completedSteps"`
	AlreadyEnabled bool     `json:"alreadyEnabled"`
}
