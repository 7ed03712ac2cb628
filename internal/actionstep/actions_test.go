package actionstep_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

func TestSandboxMatters(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	client, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{
		IsCompany: new(actionstep.Bool(true)), CompanyName: new("Acme Dental"), ImportExternalReference: new("loc_1"),
	})
	require.NoError(t, err)

	types, err := c.ListActionTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("name", "SaaS Subscription")}})
	require.NoError(t, err)
	require.Len(t, types.Items, 1)
	matterType := types.Items[0]
	assert.Equal(t, actionstep.ID("40"), matterType.ID)
	assert.Equal(t, e.clientType(), matterType.Links.PrimaryParticipantType)
	assert.True(t, bool(matterType.CanCreate))
	assert.False(t, bool(matterType.IsDisabled))
	assert.Equal(t, actionstep.Int(0), matterType.CustomLogoFilesize, `"" on the wire`)

	byRef := actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("reference", "sub_1")}, Include: []string{"actionType"}}
	page, err := c.ListActions(ctx, byRef)
	require.NoError(t, err)
	assert.Empty(t, page.Items)

	a, err := c.CreateAction(ctx, actionstep.NewAction{
		Name: "Acme Dental: SaaS subscription", Reference: "sub_1", Status: actionstep.ActionStatusActive,
		FileNote: "Created by saasbridge", ActionType: matterType.ID, AssignedTo: e.userContact(),
		Participants: map[actionstep.ID][]actionstep.ID{e.clientType(): {client.ID}},
	})
	require.NoError(t, err)
	assert.Equal(t, actionstep.ID("1000"), a.ID)
	assert.Equal(t, "sub_1", a.Reference)
	assert.Equal(t, actionstep.ActionStatusActive, a.Status)
	assert.Equal(t, matterType.ID, a.Links.ActionType)
	assert.Equal(t, e.userContact(), a.Links.AssignedTo)
	assert.Equal(t, actionstep.OneOrMany[actionstep.ID]{client.ID}, a.Links.PrimaryParticipants,
		"the client linked as the matter type's primary participant type")
	created := jsonObject(t, e.wire.last(t, http.MethodPost, "/rest/actioncreate").body)["actioncreate"].(map[string]any)
	assert.Equal(t, map[string]any{"actionType": "40", "assignedToParticipant": "10", "participantType27": []any{"11"}}, created["links"])

	page, err = c.ListActions(ctx, byRef)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, a.ID, page.Items[0].ID)
	require.Len(t, page.Linked.ActionTypes, 1)
	assert.Equal(t, "SaaS Subscription", page.Linked.ActionTypes[0].Name)

	// The worker then stamps its own key on the matter.
	updated, err := c.UpdateAction(ctx, a.ID, actionstep.ActionFields{
		ImportExternalReference: new("sub_1"), Priority: new(actionstep.Int(2)),
		Links: &actionstep.ActionUpdateLinks{AssignedTo: e.userContact()},
	})
	require.NoError(t, err)
	assert.Equal(t, "sub_1", updated.ImportExternalReference)
	assert.Equal(t, actionstep.Int(2), updated.Priority)
	assert.Equal(t, "PATCH", e.wire.last(t, http.MethodPatch, "/rest/actions/1000").method)
	page, err = c.ListActions(ctx, actionstep.Query{Filters: []actionstep.Filter{
		actionstep.Eq(actionstep.FieldImportExternalReference, "sub_1"), {Field: "status", Op: actionstep.OpNotEq, Value: actionstep.ActionStatusClosed},
	}})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)

	got, err := c.GetAction(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, "Acme Dental: SaaS subscription", got.Name)
	assert.Equal(t, actionstep.ID("40--1"), got.Links.Step, "a composite link id")
	assert.False(t, bool(got.IsDeleted))
	assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, got.CreatedTimestamp, "a date on actions")

	// Matter participants: the client is linked; add its primary contact.
	byMatter := actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("action", string(a.ID))}, Include: []string{"participant", "participantType"}}
	aps, err := c.ListActionParticipants(ctx, byMatter)
	require.NoError(t, err)
	require.Len(t, aps.Items, 1)
	assert.Equal(t, actionstep.ID("1000--27--11"), aps.Items[0].ID)
	assert.Equal(t, actionstep.Int(1), aps.Items[0].ParticipantNumber)
	require.Len(t, aps.Linked.Participants, 1)
	assert.Equal(t, "Acme Dental", aps.Linked.Participants[0].DisplayName)
	require.Len(t, aps.Linked.ParticipantTypes, 1)
	assert.Equal(t, "Client", aps.Linked.ParticipantTypes[0].Name)

	contact, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{
		IsCompany: new(actionstep.Bool(false)), FirstName: new("Jane"), LastName: new("Citizen"),
	})
	require.NoError(t, err)
	primaryContact := simID(e.org.ClientParticipantTypeID + 1)
	ap, err := c.CreateActionParticipant(ctx, a.ID, primaryContact, contact.ID)
	require.NoError(t, err)
	assert.Equal(t, actionstep.ID("1000--28--12"), ap.ID)
	assert.Equal(t, []string{"1000", "28", "12"}, ap.ID.Parts())
	assert.Equal(t, contact.ID, ap.Links.Participant)
	_, err = c.CreateActionParticipant(ctx, a.ID, primaryContact, contact.ID)
	assert.Contains(t, requireAPIError(t, err, http.StatusBadRequest).Message, "already linked")
	aps, err = c.ListActionParticipants(ctx, byMatter)
	require.NoError(t, err)
	assert.Len(t, aps.Items, 2)

	closed, err := c.CloseAction(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, actionstep.ActionStatusClosed, closed.Status)
	_, err = c.CloseAction(ctx, a.ID)
	require.NoError(t, err, "closing a closed matter is harmless")
	got, err = c.GetAction(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, actionstep.ActionStatusClosed, got.Status)

	st := e.state()
	require.Len(t, st.Actions, 1)
	assert.Equal(t, "Closed", st.Actions[0].Status)
	assert.Equal(t, []int{11}, st.Actions[0].PrimaryParticipantIDs)
	assert.Len(t, st.ActionParticipants, 2)
	require.Len(t, st.FileNotes, 1, "actioncreate's fileNote")
	assert.Equal(t, "Created by saasbridge", st.FileNotes[0].Text)
}

// TestSandboxUpdateActionBannerText: the spec lists bannerText as updatable (reference §3.4);
// the simulator does not model it yet and refuses it as unknown. Skipped until it does.
func TestSandboxUpdateActionBannerText(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	c, _ := e.login("all")
	p := e.provision(c, "1")
	a, err := c.UpdateAction(t.Context(), p.action, actionstep.ActionFields{BannerText: new("Billing paused")})
	var apiErr *actionstep.APIError
	if errors.As(err, &apiErr) && strings.Contains(apiErr.Message, "Unknown attribute 'bannerText'") {
		t.Skip("simulator mismatch: actions.bannerText is not simulated (reference §3.4 lists it as updatable)")
	}
	require.NoError(t, err)
	assert.Equal(t, "Billing paused", a.BannerText)
}

func TestSandboxActionCreateNeeds(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	_, err := e.sim.CreateOrg(actionstepsim.OrgSpec{OrgKey: "strictlaw", StartStep: &actionstepsim.StartStepSpec{
		ParticipantTypes: []string{"Client", "Client_Primary_Contact"}, DataFields: []string{"plan"},
	}})
	require.NoError(t, err)
	c, _ := e.login("all")

	needs, err := c.ActionCreateNeeds(ctx, e.matterType())
	require.NoError(t, err)
	assert.Equal(t, e.matterType(), needs.ActionType)
	assert.Equal(t, []actionstep.ID{e.clientType()}, needs.ParticipantTypes)
	assert.Equal(t, "Client", needs.ParticipantTypeNames[e.clientType()])
	assert.Len(t, needs.OtherParticipantTypes, 1)
	assert.Empty(t, needs.DataFields)

	_, err = c.ActionCreateNeeds(ctx, "999")
	_ = requireAPIError(t, err, http.StatusNotFound)
}
