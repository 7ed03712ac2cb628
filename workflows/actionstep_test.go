package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/workflows"
)

// A create whose answer is lost (applied, then a transport error) is followed by a
// lookup, never by a blind second create: one client, one matter, one record, one note.
func TestOnboardingSurvivesLostCreateAnswers(t *testing.T) {
	env := newEnv(t)
	happyPath(env, enabledSub("", ""))
	env.as.lose = map[string]int{"CreateClient": 1, "CreateMatter": 1, "CreateRecord": 1, "AddFileNote": 1}
	env.ExecuteWorkflow(workflows.LegacyOnboardingWorkflowType, workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, map[string]int{"CreateClient": 1, "CreateMatter": 1, "CreateRecord": 1, "AddFileNote": 1}, env.as.creates)
	assert.Len(t, env.as.clients, 1)
	assert.Len(t, env.as.matters, 1)
	assert.Len(t, env.as.noteTexts(), 1)
	env.AssertActivityNumberOfCalls(t, "FindFileNote", 1)
}

// A worker that dies after a create applied: the workflow finds the record rather
// than creating it again (Temporal does not retry creates on its own).
func TestOnboardingSurvivesAWorkerDyingAfterACreate(t *testing.T) {
	env := newEnv(t)
	happyPath(env, enabledSub("", ""))
	env.as.crash = map[string]int{"CreateClient": 1, "CreateMatter": 1, "CreateRecord": 1, "AddFileNote": 1}
	env.ExecuteWorkflow(workflows.LegacyOnboardingWorkflowType, workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, map[string]int{"CreateClient": 1, "CreateMatter": 1, "CreateRecord": 1, "AddFileNote": 1}, env.as.creates)
	assert.Len(t, env.as.noteTexts(), 1)
}

// A re-install finds the client and the closed matter of the first install: nothing
// is created, the matter is reopened and a note says so.
func TestReonboardingReopensTheMatter(t *testing.T) {
	env := newEnv(t)
	happyPath(env, enabledSub("", ""))
	env.as.clients[loc] = "p7"
	env.as.matters[loc] = &fakeMatter{id: "m8", status: "Closed", participant: "p7"}
	env.as.records["m8"] = "r9"
	env.ExecuteWorkflow(workflows.LegacyOnboardingWorkflowType, workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company})
	require.NoError(t, env.GetWorkflowError())
	var res workflows.LegacyOnboardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, workflows.ActionstepRecord{ParticipantID: "p7", MatterID: "m8", RecordID: "r9"}, res.Actionstep)
	assert.Equal(t, map[string]int{"AddFileNote": 1}, env.as.creates, "only the new note is created")
	assert.Equal(t, "Active", env.as.matters[loc].status)
	require.Len(t, env.as.writes, 1)
	assert.Equal(t, "r9", env.as.writes[0].RecordID)
	require.Len(t, env.as.updates, 1, "the client found is refreshed from the location")
	assert.Equal(t, activities.ClientUpdate{ParticipantID: "p7", Location: activities.Location{
		LocationID: loc, CompanyID: company, Name: "Acme Dental", Address: "1 Main St",
	}}, env.as.updates[0])
}

// A client created in this run already holds the location's details: no refresh.
func TestOnboardingDoesNotRefreshAClientItCreated(t *testing.T) {
	env := newEnv(t)
	happyPath(env, enabledSub("", ""))
	env.ExecuteWorkflow(workflows.LegacyOnboardingWorkflowType, workflows.LegacyOnboardingInput{LocationID: loc, CompanyID: company})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 1, env.as.creates["CreateClient"])
	assert.Empty(t, env.as.updates)
}

// Three changes: three data writes and three notes, in order; the names are looked up
// and the client found once for the whole entity.
func TestSubscriptionRecordsEveryChangeInActionstep(t *testing.T) {
	e := newSubEnv(t)
	first, second, third := change("e1", "s1"), change("e2", "s2"), change("e3", "s3")
	third.Status = "canceled"
	e.send(time.Second, first, second)
	e.send(time.Minute, third, uninstall)
	st, err := e.run(workflows.LegacySubscriptionInput{})
	require.NoError(t, err)

	notes := e.as.noteTexts()
	require.Len(t, notes, 3)
	assert.Contains(t, notes[0], "subscription – → s1")
	assert.Contains(t, notes[0], "[saasbridge e1]")
	assert.Contains(t, notes[1], "subscription s1 → s2")
	assert.Contains(t, notes[2], "status active → paused")
	require.Len(t, e.as.writes, 3)
	assert.Equal(t, "s3", e.as.writes[2].Subscription.SubscriptionID)
	assert.True(t, e.as.writes[2].Subscription.Paused)
	// Resolved and provisioned once; the matter of a client it has just created, and the
	// record of a matter it has just created, are created without a find.
	for name, n := range map[string]int{"ResolveSetup": 1, "FindClient": 1, "CreateClient": 1, "FindMatter": 0, "CreateMatter": 1, "FindRecord": 0, "CreateRecord": 1} {
		e.AssertActivityNumberOfCalls(t, name, n)
	}
	assert.NotEmpty(t, st.ActionstepRecord.RecordID)
}

func TestOffboardingClosesTheMatterWithANote(t *testing.T) {
	env := newEnv(t)
	env.RegisterActivity(&activities.Credentials{})
	env.OnActivity(creds.DeleteLocationToken, mock.Anything, ref).Return(nil)
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", workflows.LegacySubscriptionSignal, mock.Anything).Return(nil)
	env.as.matters[loc] = &fakeMatter{id: "m1", status: "Active"}

	env.ExecuteWorkflow(workflows.LegacyOffboardingWorkflowType, workflows.LegacyOffboardingInput{CompanyID: company, LocationID: loc, Trigger: "HighLevel UNINSTALL webhook"})
	require.NoError(t, env.GetWorkflowError())
	var res workflows.LegacyOffboardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "m1", res.MatterClosed)
	assert.Equal(t, "Closed", env.as.matters[loc].status)
	notes := env.as.noteTexts()
	require.Len(t, notes, 1)
	assert.Contains(t, notes[0], "App uninstalled")
}
