package activities

// *Actionstep: the location's matter. Actionstep (actionstep.go) holds the Actionstep client, the token store, the field
// mapping, the configured setup names, the organisation's pacing and the audit log.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/actionstepsetup"
	"github.com/saasbridge/saasbridge/internal/audit"
)

// MatterRef identifies the location's subscription matter. ParticipantID and
// ClientTypeID, when the caller knows them, save FindMatter looking them up.
type MatterRef struct {
	LocationID    string `json:"locationId"`
	MatterTypeID  string `json:"matterTypeId"`
	ParticipantID string `json:"participantId,omitempty"`
	ClientTypeID  string `json:"clientTypeId,omitempty"`
}

// MatterReference is saasbridge's key for a location's matter. It is sent as the
// matter's fileReference (which Actionstep may ignore, renumber, or let a user edit) and
// set as its importExternalReference once the matter exists.
func MatterReference(locationID string) string { return "saasbridge:" + locationID }

// FindMatter looks the subscription matter up by what saasbridge set and can check: a
// matter of the matter type on which a participant carrying the location's id
// (importExternalReference) is the client. Among several it prefers the one marked with
// MatterReference (importExternalReference, then reference), then the oldest; a matter
// another location marked is never taken. An unmarked matter found this way (its create
// succeeded, the marking did not) is marked now.
func (a *Actionstep) FindMatter(ctx context.Context, in MatterRef) (Found, error) {
	api := a.api()
	candidates, err := a.matterCandidates(ctx, api, in)
	if err != nil || len(candidates) == 0 {
		return Found{}, classify(err)
	}
	key := MatterReference(in.LocationID)
	m := bestMatter(candidates, key)
	if len(candidates) > 1 {
		activity.GetLogger(ctx).Warn("several Actionstep matters fit this location; using the marked or oldest",
			"locationId", in.LocationID, "count", len(candidates), "matterId", m.ID)
	}
	if m.ImportExternalReference != key {
		if _, err := api.UpdateAction(ctx, m.ID, actionstep.ActionFields{ImportExternalReference: &key}); err != nil {
			return Found{}, classify(err)
		}
	}
	return Found{ID: string(m.ID), Status: m.Status}, nil
}

// matterCandidates are the matters of the type linked to the location's client.
func (a *Actionstep) matterCandidates(ctx context.Context, api *actionstep.Client, in MatterRef) ([]actionstep.Action, error) {
	clients := []actionstep.ID{actionstep.ID(in.ParticipantID)}
	if in.ParticipantID == "" {
		var err error
		if clients, err = a.clients(ctx, api, in.LocationID); err != nil || len(clients) == 0 {
			return nil, err
		}
	}
	clientType, err := a.clientTypeID(ctx, in.ClientTypeID)
	if err != nil {
		return nil, err
	}
	links, err := actionstep.Collect(ctx, api.ListActionParticipants, actionstep.Query{Filters: []actionstep.Filter{
		actionstep.In("participant", ids(clients)...), actionstep.Eq("participantType", string(clientType)),
	}}, func(ap actionstep.ActionParticipant) bool {
		return ap.Links.ParticipantType == clientType && slices.Contains(clients, ap.Links.Participant)
	})
	if err != nil || len(links) == 0 {
		return nil, err
	}
	var matters []actionstep.ID
	for _, l := range links {
		if !slices.Contains(matters, l.Links.Action) {
			matters = append(matters, l.Links.Action)
		}
	}
	key := MatterReference(in.LocationID)
	return actionstep.Collect(ctx, api.ListActions, actionstep.Query{Filters: []actionstep.Filter{actionstep.In("id", ids(matters)...)}},
		func(m actionstep.Action) bool {
			return slices.Contains(matters, m.ID) && string(m.Links.ActionType) == in.MatterTypeID && !bool(m.IsDeleted) &&
				(m.ImportExternalReference == "" || m.ImportExternalReference == key)
		})
}

// clientTypeID is the client participant type's id: the caller's, or looked up.
func (a *Actionstep) clientTypeID(ctx context.Context, known string) (actionstep.ID, error) {
	if known != "" {
		return actionstep.ID(known), nil
	}
	id, err := a.LookupClientType(ctx)
	return actionstep.ID(id), err
}

// bestMatter ranks candidates: marked with key as importExternalReference, then as
// reference, then the oldest.
func bestMatter(candidates []actionstep.Action, key string) actionstep.Action {
	rank := func(m actionstep.Action) int {
		switch {
		case m.ImportExternalReference == key:
			return 0
		case m.Reference == key:
			return 1
		}
		return 2
	}
	best := slices.Clone(candidates)
	slices.SortStableFunc(best, func(x, y actionstep.Action) int {
		if r := rank(x) - rank(y); r != 0 {
			return r
		}
		return x.ID.Compare(y.ID)
	})
	return best[0]
}

func ids(in []actionstep.ID) []string {
	out := make([]string, len(in))
	for i, id := range in {
		out[i] = string(id)
	}
	return out
}

// NewMatter creates the subscription matter with the client linked. Its ClientTypeID
// and ParticipantID are required, and win over MatterRef's.
type NewMatter struct {
	MatterRef
	LocationName  string `json:"locationName,omitempty"`
	ClientTypeID  string `json:"clientTypeId"`
	ParticipantID string `json:"participantId"`
}

// CreateMatter creates the matter: POST /actioncreate, one attempt, then marks it with
// MatterReference as its importExternalReference. It fills what the matter type's start
// step asks for that saasbridge can (GET /actioncreate/{type}: the client participant
// type, the user the matter is assigned to); when the step asks for more and Actionstep
// refuses, the failure names what is missing. Call FindMatter first, and again after any
// failure that is not a refusal.
func (a *Actionstep) CreateMatter(ctx context.Context, in NewMatter) (string, error) {
	api := a.api()
	needs, assignee, err := a.createNeeds(ctx, api, in.MatterTypeID)
	if err != nil {
		return "", a.refusedSetup(classify(err))
	}
	unfilled := actionstepsetup.UnfilledNeeds(needs, actionstep.ID(in.ClientTypeID))
	if len(unfilled) > 0 {
		activity.GetLogger(ctx).Warn("the matter type's start step asks for what saasbridge cannot fill; creating the matter anyway",
			"matterType", a.MatterType, "unfilled", unfilled)
	}
	m, err := api.CreateAction(ctx, actionstep.NewAction{
		Name:         cmp.Or(in.LocationName, in.LocationID) + " – SaaS subscription",
		Reference:    MatterReference(in.LocationID),
		Status:       actionstep.ActionStatusActive,
		ActionType:   actionstep.ID(in.MatterTypeID),
		AssignedTo:   assignee,
		Participants: map[actionstep.ID][]actionstep.ID{actionstep.ID(in.ClientTypeID): {actionstep.ID(in.ParticipantID)}},
	})
	if err != nil {
		return "", a.refusedSetup(a.createMatterFailure(err, unfilled))
	}
	a.audited(ctx, audit.ActionCreated, audit.RecordMatter, string(m.ID), "")
	key := MatterReference(in.LocationID)
	if _, err := api.UpdateAction(ctx, m.ID, actionstep.ActionFields{ImportExternalReference: &key}); err != nil {
		// The matter exists: FindMatter finds it through its client and marks it.
		return "", appliedFailure(err)
	}
	return string(m.ID), nil
}

// createMatterFailure explains a refused create by the start step's unfilled needs.
func (a *Actionstep) createMatterFailure(err error, unfilled []string) error {
	c := createFailure(err)
	var app *temporal.ApplicationError
	if len(unfilled) == 0 || !errors.As(c, &app) || app.Type() != ErrTypeRejected {
		return c
	}
	return setupError(fmt.Sprintf(
		"%s: the start step of matter type %q asks for %s, which saasbridge cannot fill when it creates a matter; "+
			"make them optional on the matter type's start step in Actionstep (`starter setup actionstep --dry-run` lists them)",
		app.Error(), a.MatterType, strings.Join(unfilled, " and ")), err)
}

// MatterStatus sets a matter's status.
type MatterStatus struct {
	MatterID string `json:"matterId"`
	Status   string `json:"status"`
}

// SetMatterStatus closes or reopens a matter: PATCH /actions/{id}.
func (a *Actionstep) SetMatterStatus(ctx context.Context, in MatterStatus) error {
	status := in.Status
	if _, err := a.api().UpdateAction(ctx, actionstep.ID(in.MatterID), actionstep.ActionFields{Status: &status}); err != nil {
		return classify(err)
	}
	a.audited(ctx, audit.ActionUpdated, audit.RecordMatter, in.MatterID, "status set to "+status)
	return nil
}

// cacheTTL is how long a worker keeps what it asked once: long enough that a burst of
// onboardings asks once, short enough that a change in Actionstep is picked up.
const cacheTTL = 10 * time.Minute

// cache remembers, per process, what a new matter of each type needs and the API user's
// contact (whom new matters are assigned to).
type cache struct {
	mu       sync.Mutex
	needs    map[actionstep.ID]cached[*actionstep.ActionCreateNeeds]
	assignee cached[actionstep.ID]
}

type cached[T any] struct {
	value T
	at    time.Time
}

func (c cached[T]) fresh() bool { return !c.at.IsZero() && time.Since(c.at) < cacheTTL }

// createNeeds is what a new matter of matterType needs, and whom to assign it to.
func (a *Actionstep) createNeeds(ctx context.Context, api *actionstep.Client, matterType string) (*actionstep.ActionCreateNeeds, actionstep.ID, error) {
	typ := actionstep.ID(matterType)
	a.cache.mu.Lock()
	n, u := a.cache.needs[typ], a.cache.assignee
	a.cache.mu.Unlock()
	if !n.fresh() {
		needs, err := api.ActionCreateNeeds(ctx, typ)
		if err != nil {
			return nil, "", err
		}
		n = cached[*actionstep.ActionCreateNeeds]{needs, time.Now()}
	}
	if !u.fresh() {
		me, err := api.CurrentUser(ctx)
		if err != nil {
			return nil, "", err
		}
		u = cached[actionstep.ID]{me.Links.Participant, time.Now()}
	}
	a.cache.mu.Lock()
	defer a.cache.mu.Unlock()
	if a.cache.needs == nil {
		a.cache.needs = map[actionstep.ID]cached[*actionstep.ActionCreateNeeds]{}
	}
	a.cache.needs[typ], a.cache.assignee = n, u
	return n.value, u.value, nil
}
