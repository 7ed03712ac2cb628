package activities

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

const (
	asClientID     = "saasbridge-activities"
	asClientSecret = "as-secret-NEVER-LOGGED"
	asRedirect     = "https://app.example.com/oauth/actionstep/callback"
	asOrg          = "acmelaw"
)

// asFixture runs the real Actionstep activities against an in-process simulator, under
// the given readings, with the organisation connected (its token in a real store).
type asFixture struct {
	t     *testing.T
	sim   *actionstepsim.Server
	org   actionstepsim.Org
	api   *actionstep.Client // bound to the stored credential, for arranging state
	acts  *Actionstep
	env   *testsuite.TestActivityEnvironment
	log   *captureLogger
	store *tokens.Store
}

func newASFixture(t *testing.T, r actionstepsim.Readings, spec actionstepsim.OrgSpec) *asFixture {
	t.Helper()
	ctx := t.Context()
	sim := actionstepsim.New(actionstepsim.Options{ClientID: asClientID, ClientSecret: asClientSecret,
		Readings: r, RateLimit: actionstepsim.RateLimit{Max: 100000}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	spec.OrgKey = asOrg
	org, err := sim.CreateOrg(spec)
	require.NoError(t, err)
	client, err := actionstep.New(srv.URL+"/api/oauth/token", asClientID, asClientSecret,
		actionstep.WithHTTPClient(&http.Client{Transport: srv.Client().Transport, Timeout: 10 * time.Second}))
	require.NoError(t, err)
	store, err := tokens.Open(ctx, filepath.Join(t.TempDir(), "tokens.db"), bytes.Repeat([]byte{0x3c}, tokens.KeySize))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	admin := &actionstepsim.AdminClient{BaseURL: srv.URL, HTTP: srv.Client()}
	code, _, err := admin.Authorize(ctx, actionstepsim.AuthorizeRequest{
		ClientID: asClientID, RedirectURI: asRedirect, Scope: "all", State: "s", OrgKey: asOrg,
	})
	require.NoError(t, err)
	resp, err := client.ExchangeCode(ctx, code, asRedirect)
	require.NoError(t, err)
	require.NoError(t, store.Put(ctx, tokens.KeyActionstep(asOrg), credentials.FromActionstep(resp, time.Now())))

	f := &asFixture{t: t, sim: sim, org: org, log: &captureLogger{}, store: store, acts: &Actionstep{
		Client: client, Tokens: store, OrgKey: asOrg, Mapping: mapping.Default(),
		MatterType: actionstepsim.DefaultMatterTypeName, ClientType: actionstepsim.DefaultClientTypeName, DataCollection: "saas_subscription",
	}}
	f.api = f.acts.api()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(f.log)
	f.env = suite.NewTestActivityEnvironment()
	f.env.RegisterActivity(f.acts)
	return f
}

// run executes an activity and decodes its result into out (when non-nil).
func (f *asFixture) run(out any, activity any, args ...any) error {
	f.t.Helper()
	val, err := f.env.ExecuteActivity(activity, args...)
	if err == nil && out != nil && val.HasValue() {
		require.NoError(f.t, val.Get(out))
	}
	return err
}

func (f *asFixture) state() actionstepsim.OrgState {
	f.t.Helper()
	st, err := f.sim.OrgState(asOrg)
	require.NoError(f.t, err)
	return st
}

// setup is what the Lookup activities resolve.
type setup struct{ matterType, clientType, collection string }

func (f *asFixture) lookups() setup {
	f.t.Helper()
	var s setup
	require.NoError(f.t, f.run(&s.matterType, f.acts.LookupMatterType))
	require.NoError(f.t, f.run(&s.clientType, f.acts.LookupClientType))
	require.NoError(f.t, f.run(&s.collection, f.acts.LookupDataCollection, s.matterType))
	return s
}

// findOrCreate is the workflows' find→create round (workflows.findOrCreate) without the
// back-off: a create that fails without a definite refusal is followed by a find.
func (f *asFixture) findOrCreate(find func() (Found, error), create func() (string, error)) string {
	f.t.Helper()
	for range 8 {
		found, err := find()
		require.NoError(f.t, err)
		if found.ID != "" {
			return found.ID
		}
		id, err := create()
		if err == nil {
			return id
		}
		var app *temporal.ApplicationError
		require.ErrorAs(f.t, err, &app)
		require.Equal(f.t, ErrTypeOutcomeUnknown, app.Type(), "only a lost answer is looked for again: %v", err)
	}
	f.t.Fatal("no record after 8 rounds")
	return ""
}

// located is where provision put a location.
type located struct{ participant, matter, record string }

// provision runs the onboarding's Actionstep steps for one location, as the workflow does.
func (f *asFixture) provision(s setup, loc Location) located {
	f.t.Helper()
	var l located
	l.participant = f.findOrCreate(
		func() (fd Found, err error) { return fd, f.run(&fd, f.acts.FindClient, loc.LocationID) },
		func() (id string, err error) { return id, f.run(&id, f.acts.CreateClient, loc) })
	ref := MatterRef{LocationID: loc.LocationID, MatterTypeID: s.matterType, ParticipantID: l.participant, ClientTypeID: s.clientType}
	l.matter = f.findOrCreate(
		func() (fd Found, err error) { return fd, f.run(&fd, f.acts.FindMatter, ref) },
		func() (id string, err error) {
			return id, f.run(&id, f.acts.CreateMatter, NewMatter{MatterRef: ref, LocationName: loc.Name, ClientTypeID: s.clientType, ParticipantID: l.participant})
		})
	rec := RecordRef{MatterID: l.matter, DataCollectionID: s.collection}
	l.record = f.findOrCreate(
		func() (fd Found, err error) { return fd, f.run(&fd, f.acts.FindRecord, rec) },
		func() (id string, err error) { return id, f.run(&id, f.acts.CreateRecord, rec) })
	return l
}

// note adds a note once, as the workflows do: after a lost answer it looks first.
func (f *asFixture) note(matter, text, marker string) {
	f.t.Helper()
	n := Note{MatterID: matter, Text: fmt.Sprintf("%s [saasbridge %s]", text, marker), Marker: marker}
	for range 8 {
		var exists bool
		require.NoError(f.t, f.run(&exists, f.acts.FindFileNote, n))
		if exists {
			return
		}
		err := f.run(nil, f.acts.AddFileNote, n)
		if err == nil {
			return
		}
		_ = requireAppError(f.t, err, ErrTypeOutcomeUnknown, false)
	}
	f.t.Fatal("note not confirmed after 8 rounds")
}

func (f *asFixture) write(s setup, l located, loc Location, sub SubscriptionData) {
	f.t.Helper()
	require.NoError(f.t, f.run(nil, f.acts.WriteSubscriptionData, DataWrite{
		RecordRef: RecordRef{MatterID: l.matter, DataCollectionID: s.collection}, RecordID: l.record, Location: loc, Subscription: sub,
	}))
}

// readings is each reading hostile on its own, and all of them at once.
func readings(t *testing.T) map[string]actionstepsim.Readings {
	t.Helper()
	out := map[string]actionstepsim.Readings{"default": {}, "hostile": actionstepsim.Hostile()}
	for _, name := range actionstepsim.ReadingNames() {
		r, err := actionstepsim.HostileOnly(name)
		require.NoError(t, err)
		out[name] = r
	}
	return out
}

// TestProvisioningUnderEveryReading runs the provisioning steps for three locations
// (each twice, as a retried onboarding would, and with every create's answer lost once
// under the hostile readings) and checks that each location has exactly one client, one
// matter linked to it, one record holding the last write, and one note per event.
func TestProvisioningUnderEveryReading(t *testing.T) {
	for name, r := range readings(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newASFixture(t, r, actionstepsim.OrgSpec{})
			if name == "hostile" {
				_, err := f.sim.SetFaults(actionstepsim.Faults{DropAfterCommitRate: 1, Endpoints: []string{
					"POST /rest/participants", "POST /rest/actioncreate", "POST /rest/datacollectionrecords", "POST /rest/filenotes",
				}, Seed: 1})
				require.NoError(t, err)
			}
			s := f.lookups()
			locs := []Location{{LocationID: "loc_1", Name: "Acme Dental"}, {LocationID: "loc_12", Name: "Bolt Law"}, {LocationID: "loc_2"}}
			for round := range 2 {
				for i, loc := range locs {
					l := f.provision(s, loc)
					f.write(s, l, loc, SubscriptionData{SubscriptionID: fmt.Sprint("sub_", i), Status: []string{"trialing", "active"}[round],
						ChangedAt: time.Date(2026, 3, 1, 10, round, 0, 0, time.UTC)})
					f.note(l.matter, "Onboarded", fmt.Sprintf("evt_%d_%d", i+1, round))
					f.note(l.matter, "Onboarded again", fmt.Sprintf("evt_%d_%d", i+1, round))
				}
				if name == "hostile" && round == 0 {
					_, err := f.sim.SetFaults(actionstepsim.Faults{})
					require.NoError(t, err)
				}
			}
			assertOneEach(t, f.state(), locs, s)
		})
	}
}

func assertOneEach(t *testing.T, st actionstepsim.OrgState, locs []Location, s setup) {
	t.Helper()
	assert.Empty(t, st.DuplicateExternalReferences)
	for i, loc := range locs {
		var clients []int
		for _, p := range st.Participants {
			if p.ImportExternalReference == loc.LocationID {
				clients = append(clients, p.ID)
			}
		}
		require.Len(t, clients, 1, loc.LocationID)
		var matters []actionstepsim.Action
		for _, m := range st.Actions {
			if slices.Contains(m.PrimaryParticipantIDs, clients[0]) {
				matters = append(matters, m)
			}
		}
		require.Len(t, matters, 1, loc.LocationID)
		m := matters[0]
		assert.Equal(t, MatterReference(loc.LocationID), m.ImportExternalReference, "the matter is marked")
		assert.Equal(t, s.matterType, strconv.Itoa(m.ActionTypeID))
		values := map[string]string{}
		records := map[int]bool{}
		for _, v := range st.DataValues {
			if v.ActionID == m.ID && v.Value != nil {
				values[v.Field], records[v.RecordID] = *v.Value, true
			}
		}
		assert.Len(t, records, 1, "one record of %s", loc.LocationID)
		assert.Equal(t, fmt.Sprint("sub_", i), values["subscription_id"])
		assert.Equal(t, "active", values["status"], "the second write won")
		assert.Equal(t, "2026-03-01T10:01:00Z", values["last_change"])
		var notes int
		for _, n := range st.FileNotes {
			if n.ActionID == m.ID {
				notes++
			}
		}
		assert.Equal(t, 2, notes, "one note per event of %s, however often it was added", loc.LocationID)
	}
}

// The matter is found through its client, whatever became of the reference: ignored,
// renumbered, or edited by a user; another location's matter on the same client (marked
// for it) is never taken, and an unmarked one is adopted and marked.
func TestFindMatterByItsClient(t *testing.T) {
	f := newASFixture(t, actionstepsim.Readings{FileReference: "autonumber", Filters: "ignore"}, actionstepsim.OrgSpec{})
	ctx := t.Context()
	s := f.lookups()
	l := f.provision(s, Location{LocationID: "loc_1", Name: "Acme"})
	ref := MatterRef{LocationID: "loc_1", MatterTypeID: s.matterType}

	var got Found
	require.NoError(t, f.run(&got, f.acts.FindMatter, ref), "without the participant and client type, looked up")
	assert.Equal(t, Found{ID: l.matter, Status: "Active"}, got)

	_, err := f.api.UpdateAction(ctx, actionstep.ID(l.matter), actionstep.ActionFields{Reference: new("EDITED-1"), Status: new("Closed")})
	require.NoError(t, err)
	require.NoError(t, f.run(&got, f.acts.FindMatter, ref))
	assert.Equal(t, Found{ID: l.matter, Status: "Closed"}, got)

	// A second matter of the type on the same client, marked for another location,
	// and one of another type: neither is taken.
	for _, typ := range []string{s.matterType, strconv.Itoa(f.org.MatterTypeID + 1)} {
		m, err := f.api.CreateAction(ctx, actionstep.NewAction{Name: "Other", ActionType: actionstep.ID(typ), AssignedTo: actionstep.ID(strconv.Itoa(f.org.UserParticipantID)),
			Participants: map[actionstep.ID][]actionstep.ID{actionstep.ID(s.clientType): {actionstep.ID(l.participant)}}})
		require.NoError(t, err)
		_, err = f.api.UpdateAction(ctx, m.ID, actionstep.ActionFields{ImportExternalReference: new(MatterReference("loc_9"))})
		require.NoError(t, err)
	}
	require.NoError(t, f.run(&got, f.acts.FindMatter, ref))
	assert.Equal(t, l.matter, got.ID)

	// The mark lost (a user cleared it): the matter is still found, and marked again.
	_, err = f.api.UpdateAction(ctx, actionstep.ID(l.matter), actionstep.ActionFields{ImportExternalReference: new("")})
	require.NoError(t, err)
	require.NoError(t, f.run(&got, f.acts.FindMatter, ref))
	assert.Equal(t, l.matter, got.ID)
	m, err := f.api.GetAction(ctx, actionstep.ID(l.matter))
	require.NoError(t, err)
	assert.Equal(t, MatterReference("loc_1"), m.ImportExternalReference)

	var none Found
	require.NoError(t, f.run(&none, f.acts.FindMatter, MatterRef{LocationID: "loc_none", MatterTypeID: s.matterType}))
	assert.Equal(t, Found{}, none, "no client, no matter")
}

// Under the enforced start step the matter is assigned and its client linked; a start
// step asking for more than saasbridge can fill fails once, naming what it asks for.
func TestCreateMatterFillsOrReportsTheStartStep(t *testing.T) {
	enforced := actionstepsim.Readings{StartStep: "enforced"}
	t.Run("fillable", func(t *testing.T) {
		f := newASFixture(t, enforced, actionstepsim.OrgSpec{})
		l := f.provision(f.lookups(), Location{LocationID: "loc_1"})
		m, err := f.api.GetAction(t.Context(), actionstep.ID(l.matter))
		require.NoError(t, err)
		assert.Equal(t, actionstep.ID(strconv.Itoa(f.org.UserParticipantID)), m.Links.AssignedTo)
	})
	t.Run("asks for more", func(t *testing.T) {
		f := newASFixture(t, enforced, actionstepsim.OrgSpec{StartStep: &actionstepsim.StartStepSpec{
			ParticipantTypes: []string{"Client", "Client_Primary_Contact"}, DataFields: []string{"plan"},
		}})
		s := f.lookups()
		var client string
		require.NoError(t, f.run(&client, f.acts.CreateClient, Location{LocationID: "loc_1"}))
		err := f.run(nil, f.acts.CreateMatter, NewMatter{MatterRef: MatterRef{LocationID: "loc_1", MatterTypeID: s.matterType},
			ClientTypeID: s.clientType, ParticipantID: client})
		app := requireAppError(t, err, ErrTypeActionstepSetup, false)
		assert.Contains(t, app.Error(), `a participant of type "Client_Primary_Contact"`)
		assert.Contains(t, app.Error(), `data field "plan"`)
		assert.Contains(t, app.Error(), "requires participants", "Actionstep's own message is kept")
		assert.Empty(t, f.state().Actions)
	})
}

// When values exist only once created, the first write creates them and later ones
// update them; a write where some exist updates those and creates the rest.
func TestWriteCreatesMissingValues(t *testing.T) {
	f := newASFixture(t, actionstepsim.Readings{Values: "lazy"}, actionstepsim.OrgSpec{})
	s := f.lookups()
	loc := Location{LocationID: "loc_1"}
	l := f.provision(s, loc)
	values := func() map[string]string {
		out := map[string]string{}
		for _, v := range f.state().DataValues {
			if v.Value != nil {
				out[v.Field] = *v.Value
			}
		}
		return out
	}
	// One value exists already (set by a person, say).
	_, err := f.api.CreateDataCollectionRecordValue(t.Context(), actionstep.NewDataCollectionRecordValue{StringValue: "old",
		Action: actionstep.ID(l.matter), DataCollection: actionstep.ID(s.collection), DataCollectionRecord: actionstep.ID(l.record), FieldName: "status"})
	require.NoError(t, err)
	calls := f.sim.Calls()
	f.write(s, l, loc, SubscriptionData{SubscriptionID: "sub_1", Status: "active", PlanID: "pro", ChangedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	assert.Equal(t, map[string]string{"subscription_id": "sub_1", "status": "active", "plan": "(pro)", "last_change": "2026-03-01T00:00:00Z"}, values())
	after := f.sim.Calls()
	assert.Equal(t, 3, after.Count("POST /rest/datacollectionrecordvalues", http.StatusOK)-calls.Count("POST /rest/datacollectionrecordvalues", http.StatusOK))

	f.write(s, l, loc, SubscriptionData{SubscriptionID: "sub_2", Status: "canceled"})
	assert.Equal(t, "sub_2", values()["subscription_id"])
	assert.Equal(t, "canceled", values()["status"])
	final := f.sim.Calls()
	assert.Equal(t, 0, final.Count("POST /rest/datacollectionrecordvalues", http.StatusOK)-after.Count("POST /rest/datacollectionrecordvalues", http.StatusOK),
		"the values exist now: one bulk PUT")
}

// A note is found by its marker as a whole token, with the documented wildcard: the note
// of evt_12 does not stand for evt_1's.
func TestFindFileNoteIsExact(t *testing.T) {
	f := newASFixture(t, actionstepsim.Readings{Wildcard: "star"}, actionstepsim.OrgSpec{})
	l := f.provision(f.lookups(), Location{LocationID: "loc_1"})
	f.note(l.matter, "Changed", "evt_12")
	var exists bool
	require.NoError(t, f.run(&exists, f.acts.FindFileNote, Note{MatterID: l.matter, Marker: "evt_1"}))
	assert.False(t, exists, "evt_12 is not evt_1")
	require.NoError(t, f.run(&exists, f.acts.FindFileNote, Note{MatterID: l.matter, Marker: "evt_12"}))
	assert.True(t, exists)
	f.note(l.matter, "Changed", "evt_1")
	require.NoError(t, f.run(&exists, f.acts.FindFileNote, Note{MatterID: l.matter, Marker: "evt_1"}))
	assert.True(t, exists)
	assert.Len(t, f.state().FileNotes, 2)
}

func TestHasMarker(t *testing.T) {
	for _, tc := range []struct {
		text, marker string
		want         bool
	}{
		{"Onboarded [saasbridge evt_1]", "evt_1", true},
		{"Onboarded [saasbridge evt_12]", "evt_1", false},
		{"Onboarded [saasbridge xevt_1]", "evt_1", false},
		{"[saasbridge evt_12] and [saasbridge evt_1]", "evt_1", true},
		{"evt_1", "evt_1", true},
		{"billing/as-1 done", "billing/as-1", true},
		{"billing/as-10 done", "billing/as-1", false},
		{"onboarding/run.1", "onboarding/run", false},
		{"anything", "", false},
	} {
		assert.Equal(t, tc.want, HasMarker(tc.text, tc.marker), "%q in %q", tc.marker, tc.text)
	}
}

// The client's mapped fields are refreshed from the location; fields without a value
// are left alone, and a location without details sends nothing.
func TestUpdateClientRefreshesMappedFields(t *testing.T) {
	f := newASFixture(t, actionstepsim.Readings{}, actionstepsim.OrgSpec{})
	var id string
	require.NoError(t, f.run(&id, f.acts.CreateClient, Location{LocationID: "loc_1", Name: "Acme", Address: "1 Main St"}))
	require.NoError(t, f.run(nil, f.acts.UpdateClient, ClientUpdate{ParticipantID: id,
		Location: Location{LocationID: "loc_1", Name: "Acme Dental", Email: "front@acme.example"}}))
	p, err := f.api.GetParticipant(t.Context(), actionstep.ID(id))
	require.NoError(t, err)
	assert.Equal(t, "Acme Dental", p.CompanyName)
	assert.Equal(t, "front@acme.example", p.Email)
	assert.Equal(t, "1 Main St", p.PhysicalAddressLine1, "no address in the update: kept")

	before := f.sim.Calls().Count("PUT /rest/participants/{id}", http.StatusOK)
	require.NoError(t, f.run(nil, f.acts.UpdateClient, ClientUpdate{ParticipantID: id, Location: Location{LocationID: "loc_1"}}))
	assert.Equal(t, before, f.sim.Calls().Count("PUT /rest/participants/{id}", http.StatusOK), "nothing to send")
	assert.False(t, strings.Contains(f.log.text(), asClientSecret))
}

// TestRecordsMadeAndChangedAreAudited: every Actionstep record an activity makes or
// changes leaves an audit entry with its id.
func TestRecordsMadeAndChangedAreAudited(t *testing.T) {
	f := newASFixture(t, actionstepsim.Readings{}, actionstepsim.OrgSpec{})
	trail := audit.NewLog(f.store.DB())
	f.acts.Audit = trail
	s := f.lookups()
	loc := Location{LocationID: "loc1", CompanyID: "co1", Name: "Acme Dental"}
	l := f.provision(s, loc)
	f.write(s, l, loc, SubscriptionData{PlanID: "gold", Status: "active"})
	f.note(l.matter, "Onboarded", "evt1")
	require.NoError(t, f.run(nil, f.acts.UpdateClient, ClientUpdate{ParticipantID: l.participant, Location: loc}))
	require.NoError(t, f.run(nil, f.acts.SetMatterStatus, MatterStatus{MatterID: l.matter, Status: "Closed"}))
	require.NoError(t, trail.Close())

	var got []string
	require.NoError(t, audit.Query(t.Context(), f.store.DB(), audit.Filter{Kinds: []string{audit.KindActionstep}}, func(e audit.Entry) error {
		got = append(got, e.Action+" "+e.Detail.Record+" "+e.Detail.RecordID)
		assert.NotEmpty(t, e.WorkflowID, "the activity's workflow is recorded")
		return nil
	}))
	notes := f.state().FileNotes
	require.Len(t, notes, 1)
	assert.Equal(t, []string{
		"created participant " + l.participant, "created matter " + l.matter, "created dataRecord " + l.record,
		"written dataValues " + l.record, "created fileNote " + strconv.Itoa(notes[0].ID), "updated participant " + l.participant,
		"updated matter " + l.matter,
	}, got)
}

// TestResolveSetupOncePerWorker: the matter type, participant type and data collection
// are looked up once per worker, shared by the activities that need them at the same
// time, not kept when the lookup fails, and looked up again once they are old.
func TestResolveSetupOncePerWorker(t *testing.T) {
	f := newASFixture(t, actionstepsim.Readings{}, actionstepsim.OrgSpec{})
	want := f.lookups()
	calls := func() int { return f.sim.Calls().Total }
	before := calls()

	var wg sync.WaitGroup
	got := make([]Setup, 8)
	for i := range got {
		wg.Go(func() {
			var err error
			got[i], err = f.acts.ResolveSetup(t.Context())
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	for _, g := range got {
		assert.Equal(t, Setup{MatterTypeID: want.matterType, ClientTypeID: want.clientType, DataCollectionID: want.collection}, g)
	}
	assert.Equal(t, 3, calls()-before, "one lookup of each, for all of them")

	f.acts.setup.at = time.Now().Add(-cacheTTL)
	_, err := f.acts.ResolveSetup(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 6, calls()-before, "looked up again once old")

	// A failed lookup is not kept: the next activity asks again.
	g := newASFixture(t, actionstepsim.Readings{}, actionstepsim.OrgSpec{NoDataCollection: true})
	_, err = g.acts.ResolveSetup(t.Context())
	_ = requireAppError(t, err, ErrTypeActionstepSetup, false)
	assert.False(t, g.acts.setup.fresh())
}

// A matter whose create was applied but whose marking (the PATCH after it) was answered
// 429 or held back is reported as an unknown outcome, never as "rate limited", which the
// workflow takes for "not applied" and would create again: the find that follows marks
// the matter, and there is one.
func TestCreateMatterThrottledAfterTheCreateIsNotNotApplied(t *testing.T) {
	f := newASFixture(t, actionstepsim.Readings{}, actionstepsim.OrgSpec{})
	s := f.lookups()
	loc := Location{LocationID: "loc_throttled", Name: "Throttled"}
	var participant string
	require.NoError(t, f.run(&participant, f.acts.CreateClient, loc))
	require.NoError(t, f.sim.AddFaultRule(actionstepsim.Rule{Endpoint: "PATCH /rest/actions/{id}", Status: 429, Times: 1}))

	ref := MatterRef{LocationID: loc.LocationID, MatterTypeID: s.matterType, ParticipantID: participant, ClientTypeID: s.clientType}
	err := f.run(nil, f.acts.CreateMatter, NewMatter{MatterRef: ref, LocationName: loc.Name, ClientTypeID: s.clientType, ParticipantID: participant})
	_ = requireAppError(t, err, ErrTypeOutcomeUnknown, false)

	var found Found
	require.NoError(t, f.run(&found, f.acts.FindMatter, ref))
	assert.NotEmpty(t, found.ID, "the applied create is found")
	assert.Len(t, f.state().Actions, 1, "one matter")
}

// TestRefusedSetupIsLookedUpAgain: when Actionstep refuses a request that names the
// cached setup's ids (a matter type or data collection deleted or re-created since the
// lookup), the cache is dropped, so the next ResolveSetup (the parked event's redrive, or
// the next onboarding) asks Actionstep again instead of refusing until the cache ages out.
func TestRefusedSetupIsLookedUpAgain(t *testing.T) {
	stale := "987654"
	cases := []struct {
		name   string
		refuse func(f *asFixture, s Setup, participant string) error
	}{
		{"matter type gone", func(f *asFixture, s Setup, participant string) error {
			return f.run(nil, f.acts.CreateMatter, NewMatter{
				MatterRef:    MatterRef{LocationID: "loc_stale", MatterTypeID: stale, ParticipantID: participant, ClientTypeID: s.ClientTypeID},
				LocationName: "Stale", ClientTypeID: s.ClientTypeID, ParticipantID: participant})
		}},
		{"data collection gone", func(f *asFixture, s Setup, participant string) error {
			var matter string
			require.NoError(t, f.run(&matter, f.acts.CreateMatter, NewMatter{
				MatterRef:    MatterRef{LocationID: "loc_stale", MatterTypeID: s.MatterTypeID, ParticipantID: participant, ClientTypeID: s.ClientTypeID},
				LocationName: "Stale", ClientTypeID: s.ClientTypeID, ParticipantID: participant}))
			require.NoError(t, f.run(nil, f.acts.ResolveSetup))
			return f.run(nil, f.acts.CreateRecord, RecordRef{MatterID: matter, DataCollectionID: stale})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newASFixture(t, actionstepsim.Readings{}, actionstepsim.OrgSpec{})
			var s Setup
			require.NoError(t, f.run(&s, f.acts.ResolveSetup))
			var participant string
			require.NoError(t, f.run(&participant, f.acts.CreateClient, Location{LocationID: "loc_stale", Name: "Stale"}))

			err := tc.refuse(f, s, participant)
			_ = requireAppError(t, err, ErrTypeRejected, false)
			assert.False(t, f.acts.setup.fresh(), "the refused setup is dropped")

			before := f.sim.Calls().Total
			require.NoError(t, f.run(&s, f.acts.ResolveSetup))
			assert.Equal(t, 3, f.sim.Calls().Total-before, "looked up again")
		})
	}
}
