package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/workflows"
)

// An onboarding looks up only what it cannot know: the setup comes from the worker's
// cache in one activity, the client is looked for (an earlier life may have made it),
// but the matter of the client it has just created and the record of the matter it has
// just created are created straight away; the uninstall uses the matter it knows.
func TestOwnerProvisionsWithoutNeedlessFinds(t *testing.T) {
	e := newOwnerEnv(t)
	e.send(0, install("i", at(0)))
	e.send(time.Minute, uninstallAt("u", at(time.Minute)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, map[string]int{"FindClient": 1}, e.as.finds)
	assert.Equal(t, map[string]int{"CreateClient": 1, "CreateMatter": 1, "CreateRecord": 1, "AddFileNote": 2}, e.as.creates)
	e.AssertActivityNumberOfCalls(t, "ResolveSetup", 1)
	for _, lookup := range []string{"LookupMatterType", "LookupClientType", "LookupDataCollection"} {
		e.AssertActivityNumberOfCalls(t, lookup, 0)
	}
	assert.Equal(t, "Closed", e.as.matters[loc].status)
}

// A create made without a find first that loses its answer is followed by a find, never
// by a blind second create: exactly one matter and one record.
func TestOwnerLooksBeforeCreatingAgainAfterALostAnswer(t *testing.T) {
	for _, lost := range []string{"CreateMatter", "CreateRecord"} {
		t.Run(lost, func(t *testing.T) {
			e := newOwnerEnv(t)
			e.as.lose[lost] = 1
			e.send(0, install("i", at(0)))
			e.send(time.Hour, uninstallAt("u", at(time.Hour)))
			_, err := e.run(workflows.LocationInput{})
			require.NoError(t, err)

			assert.Equal(t, 1, e.as.creates[lost], "created once")
			assert.Len(t, e.as.matters, 1)
			assert.Len(t, e.as.records, 1)
			find := map[string]string{"CreateMatter": "FindMatter", "CreateRecord": "FindRecord"}[lost]
			assert.Equal(t, 1, e.as.finds[find], "looked for after the lost answer")
			assert.Equal(t, "applied", e.outcomes()["i"])
		})
	}
}

// A client found rather than created may have a matter already (an earlier life whose
// owner's facts were lost): its matter and record are looked for.
func TestOwnerLooksForTheMatterOfAClientItFound(t *testing.T) {
	e := newOwnerEnv(t)
	e.as.clients[loc] = "p1"
	e.as.matters[loc] = &fakeMatter{id: "m1", status: "Active", participant: "p1"}
	e.as.records["m1"] = "r1"
	var mid workflows.LocationState
	e.send(0, install("i", at(0)))
	e.query(time.Minute, &mid)
	e.send(time.Hour, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, map[string]int{"FindClient": 1, "FindMatter": 1, "FindRecord": 1}, e.as.finds)
	assert.Zero(t, e.as.creates["CreateClient"]+e.as.creates["CreateMatter"]+e.as.creates["CreateRecord"])
	assert.Equal(t, workflows.ActionstepRecord{ParticipantID: "p1", MatterID: "m1", RecordID: "r1"}, mid.ActionstepRecord)
}

// A re-install uses the records the owner knows (from its facts): nothing is looked up,
// and the matter its uninstall closed is reopened.
func TestOwnerReinstallUsesTheRecordsItKnows(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activities.LoadedFacts{Found: true, Recent: []string{"u"}, Location: facts.Location{
		LocationID: loc, CompanyID: company, Phase: facts.PhaseUninstalled, InstalledAt: at(0), UninstalledAt: at(time.Hour),
		ParticipantID: "p1", MatterID: "m1", RecordID: "r1"}}
	e.as.clients[loc] = "p1"
	e.as.matters[loc] = &fakeMatter{id: "m1", status: "Closed", participant: "p1"}
	e.as.records["m1"] = "r1"
	var mid workflows.LocationState
	e.send(0, install("reinstall", at(2*time.Hour)))
	e.query(time.Minute, &mid)
	e.send(time.Hour, uninstallAt("u2", at(3*time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, "applied", e.outcomes()["reinstall"])
	assert.Empty(t, e.as.finds)
	assert.Equal(t, map[string]int{"AddFileNote": 2}, e.as.creates, "onboarded and uninstalled notes, no record")
	require.NotEmpty(t, e.as.writes)
	assert.Equal(t, "r1", e.as.writes[0].RecordID)
	assert.Equal(t, facts.PhaseActive, mid.Phase)
	assert.Equal(t, "Closed", e.as.matters[loc].status, "reopened by the re-install, closed by the next uninstall")
	e.AssertActivityNumberOfCalls(t, "SetMatterStatus", 2)
}

// A create the pacing holds back (nothing sent) is sent again when its slot comes, with
// no find before it and without using up the create rounds: held back more often than
// there are rounds, each record is still created once, and nothing is looked up that
// an unheld onboarding would not look up.
func TestOwnerSendsAHeldBackCreateAgainWithoutAFind(t *testing.T) {
	for _, held := range []string{"CreateClient", "CreateMatter", "CreateRecord"} {
		t.Run(held, func(t *testing.T) {
			e := newOwnerEnv(t)
			e.as.held[held] = 12 // more than maxCreateRounds
			e.send(0, install("i", at(0)))
			e.send(2*time.Hour, uninstallAt("u", at(2*time.Hour)))
			_, err := e.run(workflows.LocationInput{})
			require.NoError(t, err)

			assert.Equal(t, "applied", e.outcomes()["i"])
			assert.Equal(t, map[string]int{"FindClient": 1}, e.as.finds, "no find for a create that was never sent")
			assert.Equal(t, 1, e.as.creates[held], "created once")
			e.AssertActivityNumberOfCalls(t, held, 13)
		})
	}
}
