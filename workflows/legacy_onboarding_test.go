package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/workflows"
)

var hl *activities.HighLevel

const (
	loc     = "l1C08ntBrFjLS0elLIYU"
	company = "GNb7aIv4rQFVb9iwNl5K"
)

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	workflows.Register(env)
	env.RegisterActivity(&activities.HighLevel{})
	fake := newFakeActionstep()
	fake.install(env)
	return &testEnv{TestWorkflowEnvironment: env, as: fake}
}

var ref = activities.LocationRef{CompanyID: company, LocationID: loc}

func installed() activities.InstalledLocation {
	return activities.InstalledLocation{Found: true, IsInstalled: true, Name: "Acme Dental", Address: "1 Main St"}
}

// happyPath mocks every step as succeeding; tests override single steps with
// .Once() expectations registered before these.
func happyPath(env *testEnv, sub activities.SaaSSubscription) {
	env.OnActivity(hl.GetInstalledLocation, mock.Anything, ref).Return(installed(), nil)
	env.OnActivity(hl.MintLocationToken, mock.Anything, ref).Return(activities.LocationToken{ExpiresAt: time.Unix(1e9, 0)}, nil)
	env.OnActivity(hl.EnableSaaS, mock.Anything, mock.Anything).Return(activities.EnableSaaSOutcome{CustomerID: "cus_1"}, nil)
	env.OnActivity(hl.UpdateSaaSSubscription, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(hl.GetSaaSSubscription, mock.Anything, ref).Return(sub, nil)
}

func enabledSub(plan, subID string) activities.SaaSSubscription {
	return activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", PlanID: plan, SubscriptionID: subID, SubscriptionStatus: "active"}
}

func TestOnboarding(t *testing.T) {
	withSub := workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company, PlanID: "plan_pro", SubscriptionID: "sub_1", CustomerID: "cus_1"}
	noSub := workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company}

	tests := []struct {
		name  string
		in    workflows.LegacyOnboardingInput
		setup func(env *testEnv)
		// wantErrType is the ApplicationError type the workflow fails with ("" = success).
		wantErrType string
		wantErrMsg  string
		want        workflows.LegacyOnboardingResult
		calls       map[string]int
	}{
		{
			name:  "success with subscription",
			in:    withSub,
			setup: func(env *testEnv) { happyPath(env, enabledSub("plan_pro", "sub_1")) },
			want: workflows.LegacyOnboardingResult{LocationID: loc, CompanyID: company, SaaSMode: "saasV2", PlanID: "plan_pro",
				SubscriptionID: "sub_1", SubscriptionStatus: "active"},
			calls: map[string]int{"GetInstalledLocation": 2, "MintLocationToken": 1, "EnableSaaS": 1, "UpdateSaaSSubscription": 1, "GetSaaSSubscription": 1},
		},
		{
			name:  "missing subscription skips the subscription step",
			in:    noSub,
			setup: func(env *testEnv) { happyPath(env, enabledSub("", "")) },
			want:  workflows.LegacyOnboardingResult{LocationID: loc, CompanyID: company, SaaSMode: "saasV2", SubscriptionStatus: "active"},
			calls: map[string]int{"GetInstalledLocation": 2, "MintLocationToken": 1, "EnableSaaS": 1, "UpdateSaaSSubscription": 0, "GetSaaSSubscription": 1},
		},
		{
			name: "retryable failure then success",
			in:   noSub,
			setup: func(env *testEnv) {
				env.OnActivity(hl.EnableSaaS, mock.Anything, mock.Anything).
					Return(activities.EnableSaaSOutcome{}, temporal.NewApplicationError("highlevel: 503", activities.ErrTypeUnavailable)).Once()
				env.OnActivity(hl.EnableSaaS, mock.Anything, mock.Anything).
					Return(activities.EnableSaaSOutcome{}, temporal.NewApplicationErrorWithOptions("highlevel: 429", activities.ErrTypeRateLimited,
						temporal.ApplicationErrorOptions{NextRetryDelay: 3 * time.Second})).Once()
				happyPath(env, enabledSub("", ""))
			},
			want:  workflows.LegacyOnboardingResult{LocationID: loc, CompanyID: company, SaaSMode: "saasV2", SubscriptionStatus: "active"},
			calls: map[string]int{"EnableSaaS": 3},
		},
		{
			name: "non-retryable 4xx fails with the API's message",
			in:   noSub,
			setup: func(env *testEnv) {
				env.OnActivity(hl.EnableSaaS, mock.Anything, mock.Anything).Return(activities.EnableSaaSOutcome{},
					temporal.NewNonRetryableApplicationError("highlevel POST /saas/enable-saas/{locationId}: 400: This feature is only available on Agency Pro plan",
						activities.ErrTypeRejected, nil)).Once()
				happyPath(env, enabledSub("", ""))
			},
			wantErrType: activities.ErrTypeRejected,
			wantErrMsg:  "only available on Agency Pro plan",
			calls:       map[string]int{"EnableSaaS": 1, "GetSaaSSubscription": 0},
		},
		{
			name: "already enabled is confirmed by reading it back",
			in:   noSub,
			setup: func(env *testEnv) {
				env.OnActivity(hl.EnableSaaS, mock.Anything, mock.Anything).Return(activities.EnableSaaSOutcome{AlreadyEnabled: true}, nil).Once()
				happyPath(env, enabledSub("plan_old", "sub_old"))
			},
			want: workflows.LegacyOnboardingResult{LocationID: loc, CompanyID: company, AlreadyEnabled: true, SaaSMode: "saasV2",
				PlanID: "plan_old", SubscriptionID: "sub_old", SubscriptionStatus: "active"},
			calls: map[string]int{"EnableSaaS": 1, "GetSaaSSubscription": 1},
		},
		{
			name: "already enabled but the read disagrees fails verification",
			in:   workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company, PlanID: "plan_pro"},
			setup: func(env *testEnv) {
				env.OnActivity(hl.EnableSaaS, mock.Anything, mock.Anything).Return(activities.EnableSaaSOutcome{AlreadyEnabled: true}, nil).Once()
				happyPath(env, enabledSub("plan_basic", ""))
			},
			wantErrType: workflows.ErrTypeVerificationFailed,
			wantErrMsg:  `plan is "plan_basic", want "plan_pro"`,
		},
		{
			name: "app not installed stops before any write",
			in:   noSub,
			setup: func(env *testEnv) {
				env.OnActivity(hl.GetInstalledLocation, mock.Anything, ref).Return(activities.InstalledLocation{}, nil).Once()
				happyPath(env, enabledSub("", ""))
			},
			wantErrType: workflows.ErrTypeNotInstalled,
			calls:       map[string]int{"MintLocationToken": 0, "EnableSaaS": 0},
		},
		{
			name:        "invalid input",
			in:          workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company, SubscriptionID: "sub_1"},
			setup:       func(*testEnv) {},
			wantErrType: workflows.ErrTypeInvalidInput,
			wantErrMsg:  "subscriptionId and customerId must be given together",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			tt.setup(env)
			env.ExecuteWorkflow(workflows.LegacyOnboardingWorkflowType, tt.in)
			require.True(t, env.IsWorkflowCompleted())
			err := env.GetWorkflowError()
			if tt.wantErrType != "" {
				require.Error(t, err)
				var app *temporal.ApplicationError
				require.True(t, errors.As(err, &app), "want ApplicationError, got %v", err)
				require.Equal(t, tt.wantErrType, app.Type())
				require.Contains(t, app.Error(), tt.wantErrMsg)
			} else {
				require.NoError(t, err)
				var got workflows.LegacyOnboardingResult
				require.NoError(t, env.GetWorkflowResult(&got))
				tt.want.Actionstep = workflows.ActionstepRecord{ParticipantID: "p1", MatterID: "m2", RecordID: "r3"}
				require.Equal(t, tt.want, got)
				notes := env.as.noteTexts()
				require.Len(t, notes, 1, "one file note")
				require.Contains(t, notes[0], "Onboarded from HighLevel")
			}
			for name, n := range tt.calls {
				env.AssertActivityNumberOfCalls(t, name, n)
			}
		})
	}
}

func TestOnboardingStatusQueryAndSearchAttribute(t *testing.T) {
	env := newEnv(t)
	happyPath(env, enabledSub("", ""))
	var steps []string
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) {
		v, err := env.QueryWorkflow(workflows.StatusQuery)
		require.NoError(t, err)
		var st workflows.LegacyOnboardingStatus
		require.NoError(t, v.Get(&st))
		steps = append(steps, st.Step)
	})
	env.ExecuteWorkflow(workflows.LegacyOnboardingWorkflowType, workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []string{
		workflows.StepConfirmInstall, workflows.StepMintLocationToken, workflows.StepEnableSaaS, workflows.StepVerify, workflows.StepVerify,
	}, steps[:5])
	for _, st := range steps[5:] {
		require.Equal(t, workflows.StepActionstep, st)
	}

	v, err := env.QueryWorkflow(workflows.StatusQuery)
	require.NoError(t, err)
	var st workflows.LegacyOnboardingStatus
	require.NoError(t, v.Get(&st))
	require.Equal(t, workflows.StepDone, st.Step)
	require.Equal(t, []string{workflows.StepConfirmInstall, workflows.StepMintLocationToken, workflows.StepEnableSaaS, workflows.StepVerify, workflows.StepActionstep}, st.CompletedSteps)
}
