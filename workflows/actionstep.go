package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// maxCreateRounds bounds find→create rounds when creates keep failing or losing their
// answers; rounds back off (1 s, 2 s, 4 s … 30 s).
const maxCreateRounds = 8

// ActionstepSetup is what the configured names resolve to in the organisation. The
// owner (and the first releases' subscription entity) keeps it in its state, so it
// resolves them once.
type ActionstepSetup struct {
	MatterTypeID     string `json:"matterTypeId"`
	ClientTypeID     string `json:"clientTypeId"`
	DataCollectionID string `json:"dataCollectionId"`
}

// roundBackoff is the wait before find→create round n (n ≥ 1), or longer if the
// failure asked for it (a 429's Retry-After).
func roundBackoff(n int, err error) time.Duration {
	d := min(time.Second<<(n-1), 30*time.Second)
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.NextRetryDelay() > d {
		d = app.NextRetryDelay()
	}
	return d
}

// refused reports a definite answer that a create was not applied and will not be on a
// retry (a 4xx), as opposed to a failure whose outcome is unknown or passing.
func refused(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.NonRetryable() && app.Type() != activities.ErrTypeOutcomeUnknown
}

func (s ActionstepSetup) resolved() bool { return s.DataCollectionID != "" }

// ActionstepRecord is where a location lives in Actionstep.
type ActionstepRecord struct {
	ParticipantID string `json:"participantId,omitempty"`
	MatterID      string `json:"matterId,omitempty"`
	RecordID      string `json:"recordId,omitempty"`
	TaskID        string `json:"taskId,omitempty"`
}

// actionstepSync runs the Actionstep steps of the flows. Every step is one activity,
// one call; creates are find→create rounds, because Actionstep's POSTs are not
// idempotent and an answer lost after a commit must not make a duplicate.
type actionstepSync struct {
	setup  ActionstepSetup
	record ActionstepRecord
	// clientCreated: this run created the client, so it already holds the location's
	// details; matterCreated: this run created the matter.
	clientCreated, matterCreated bool
	// reopen: the location is being installed again after an uninstall, which closed
	// its matter.
	reopen bool
	// subscription is what the matter's first task may render (actionstep_task.go).
	subscription activities.SubscriptionData
}

// cachedSetupChange gates resolving the setup with one activity (ResolveSetup), which a
// worker answers from its cache, instead of three lookups. Runs that started before it
// replay the three.
const cachedSetupChange = "actionstep-cached-setup"

func (s *actionstepSync) resolve(ctx workflow.Context) error {
	if s.setup.resolved() {
		return nil
	}
	if workflow.GetVersion(ctx, cachedSetupChange, workflow.DefaultVersion, 1) == 1 {
		var got activities.Setup
		err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: the matter type, participant type and data collection"),
			as.ResolveSetup).Get(ctx, &got)
		s.setup = ActionstepSetup(got)
		return err
	}
	if err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: look up the matter type"), as.LookupMatterType).Get(ctx, &s.setup.MatterTypeID); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: look up the client participant type"), as.LookupClientType).Get(ctx, &s.setup.ClientTypeID); err != nil {
		return err
	}
	return workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: look up the data collection"),
		as.LookupDataCollection, s.setup.MatterTypeID).Get(ctx, &s.setup.DataCollectionID)
}

// createRoundsChange gates the find→create rounds as they are now (a backoff timer
// between rounds, a find after a refusal, up to maxCreateRounds). Runs that started
// before it keep the first release's rounds (find, create, find again only after an
// OutcomeUnknown, up to firstReleaseCreateRounds), so their histories replay.
const createRoundsChange = "actionstep-create-rounds"

// firstReleaseCreateRounds is how many rounds the first release tried.
const firstReleaseCreateRounds = 5

// findOrCreate runs find, and create when absent, until one of them yields an id. A
// create that failed without a definite refusal is followed by another find, never by
// a blind second create; a refusal is checked against one more find too, because it
// may answer a retry of a create that had landed ("already has a record").
// With createFirst the first round creates without looking (see knownRecordsChange);
// every later one looks first.
func findOrCreate(ctx workflow.Context, what string, createFirst bool, find, create func() (activities.Found, error)) (activities.Found, error) {
	if workflow.GetVersion(ctx, createRoundsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return findOrCreateFirstRelease(ctx, what, find, create)
	}
	return createRounds(ctx, what, createFirst, find, create)
}

// createRounds are findOrCreate's rounds as they are now.
func createRounds(ctx workflow.Context, what string, createFirst bool, find, create func() (activities.Found, error)) (activities.Found, error) {
	var lastErr error
	var wait time.Duration
	look, unsent := !createFirst, 0
	for round := 0; round < maxCreateRounds; {
		if wait > 0 {
			if err := workflow.Sleep(ctx, wait); err != nil {
				return activities.Found{}, err
			}
		}
		if look {
			found, err := find()
			if err != nil || found.ID != "" {
				return found, err
			}
		}
		created, err := create()
		if err == nil {
			return created, nil
		}
		if refused(err) {
			if again, ferr := find(); ferr == nil && again.ID != "" {
				return again, nil
			}
			return activities.Found{}, err
		}
		lastErr, look = err, true
		if notSent(err) && unsent < maxUnsentCreates &&
			workflow.GetVersion(ctx, unsentCreateChange, workflow.DefaultVersion, 1) == 1 {
			unsent++
			look, wait = false, retryDelay(err)
			continue
		}
		round++
		wait = roundBackoff(round, lastErr)
		workflow.GetLogger(ctx).Warn("create failed or lost its answer; looking again before retrying", "what", what, "error", err)
	}
	return activities.Found{}, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("could not confirm the %s was created after %d tries: %v", what, maxCreateRounds, lastErr), ErrTypeActionstepCreateUnconfirmed, nil)
}

// unsentCreateChange: a create that certainly was not applied, because the pacing held
// it back (nothing was sent) or Actionstep answered 429, is sent again once the budget
// allows, without a find before it and without counting as one of maxCreateRounds.
// Before it, such a create ended its round: under load every held-back create cost a
// find, and a create held back eight times failed the event. Runs that started before
// it keep that (their histories replay).
const unsentCreateChange = "actionstep-unsent-create"

// maxUnsentCreates bounds how often one create is held back or answered 429 in a row
// before it counts as a failed round again (the event's budget bounds it anyway).
const maxUnsentCreates = 100

// notSent reports an activity failure that says the request was not applied: held back
// by the pacing, or answered 429 (activities.ErrTypeRateLimited).
func notSent(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == activities.ErrTypeRateLimited
}

// retryDelay is when a create that was not sent may go: the slot the pacing named (or
// the 429's Retry-After), else a second.
func retryDelay(err error) time.Duration {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.NextRetryDelay() > 0 {
		return app.NextRetryDelay()
	}
	return time.Second
}

// findOrCreateFirstRelease is findOrCreate as the first release ran it; only runs
// that started before createRoundsChange take it.
func findOrCreateFirstRelease(ctx workflow.Context, what string, find, create func() (activities.Found, error)) (activities.Found, error) {
	for range firstReleaseCreateRounds {
		found, err := find()
		if err != nil || found.ID != "" {
			return found, err
		}
		created, err := create()
		if err == nil {
			return created, nil
		}
		if !outcomeUnknown(err) {
			return activities.Found{}, err
		}
		workflow.GetLogger(ctx).Warn("create lost its answer; looking again before retrying", "what", what)
	}
	return activities.Found{}, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("could not confirm the %s was created after %d tries", what, firstReleaseCreateRounds), ErrTypeActionstepCreateUnconfirmed, nil)
}

func outcomeUnknown(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == activities.ErrTypeOutcomeUnknown
}

// knownRecordsChange gates provisioning that looks up only what the owner does not
// know: a record whose id it keeps (it found or created it: the state, the facts) is not
// looked up again, and the matter of a client this provisioning has just created, or
// the data record of a matter it has just created, is created without a find first:
// nothing can belong to a record that did not exist (a create that fails is still
// followed by a find before any other). A known matter is reopened when the location is
// installed again after an uninstall (which closed it). Runs that started before it
// look every record up.
const knownRecordsChange = "actionstep-known-records"

// provision finds or creates the client, its subscription matter (reopened if it was
// closed), the matter's data record and, when the mapping asks for one, its first task.
func (s *actionstepSync) provision(ctx workflow.Context, loc activities.Location) error {
	if err := s.provisionRecords(ctx, loc); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, firstTaskChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return s.firstTask(ctx, loc)
}

// provisionRecords finds or creates the client, its matter and the matter's data record.
func (s *actionstepSync) provisionRecords(ctx workflow.Context, loc activities.Location) error {
	if err := s.resolve(ctx); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, knownRecordsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return s.provisionAll(ctx, loc)
	}
	if s.record.ParticipantID == "" {
		client, err := s.findOrCreateClient(ctx, loc)
		if err != nil {
			return err
		}
		s.record.ParticipantID = client.ID
	}
	switch {
	case s.record.MatterID == "":
		if err := s.findOrCreateMatter(ctx, loc, s.clientCreated); err != nil {
			return err
		}
	case s.reopen:
		if err := s.setStatus(ctx, matterActive); err != nil {
			return err
		}
	}
	if s.record.RecordID == "" {
		record, err := s.findOrCreateRecord(ctx, s.matterCreated)
		s.record.RecordID = record.ID
		return err
	}
	return nil
}

// provisionAll is provision before knownRecordsChange: every record is looked up.
func (s *actionstepSync) provisionAll(ctx workflow.Context, loc activities.Location) error {
	client, err := s.findOrCreateClient(ctx, loc)
	if err != nil {
		return err
	}
	s.record.ParticipantID = client.ID
	if err := s.findOrCreateMatter(ctx, loc, false); err != nil {
		return err
	}
	record, err := s.findOrCreateRecord(ctx, false)
	s.record.RecordID = record.ID
	return err
}

func (s *actionstepSync) findOrCreateClient(ctx workflow.Context, loc activities.Location) (activities.Found, error) {
	return findOrCreate(ctx, "client participant", false,
		func() (f activities.Found, err error) {
			err = workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: find the client"), as.FindClient, loc.LocationID).Get(ctx, &f)
			return f, err
		},
		func() (f activities.Found, err error) {
			err = workflow.ExecuteActivity(withActionstepCreate(ctx, "Actionstep: create the client"), as.CreateClient, loc).Get(ctx, &f.ID)
			s.clientCreated = err == nil
			return f, err
		})
}

// findOrCreateMatter finds or creates the client's subscription matter, reopening it if
// it was closed (a re-install).
func (s *actionstepSync) findOrCreateMatter(ctx workflow.Context, loc activities.Location, createFirst bool) error {
	ref := activities.MatterRef{LocationID: loc.LocationID, MatterTypeID: s.setup.MatterTypeID,
		ParticipantID: s.record.ParticipantID, ClientTypeID: s.setup.ClientTypeID}
	matter, err := findOrCreate(ctx, "subscription matter", createFirst,
		func() (f activities.Found, err error) {
			err = workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: find the subscription matter"), as.FindMatter, ref).Get(ctx, &f)
			return f, err
		},
		func() (f activities.Found, err error) {
			err = workflow.ExecuteActivity(withActionstepCreate(ctx, "Actionstep: create the subscription matter"), as.CreateMatter, activities.NewMatter{
				MatterRef: ref, LocationName: loc.Name, ClientTypeID: s.setup.ClientTypeID, ParticipantID: s.record.ParticipantID,
			}).Get(ctx, &f.ID)
			s.matterCreated = err == nil
			return f, err
		})
	if err != nil {
		return err
	}
	s.record.MatterID = matter.ID
	if matter.Status == matterClosed {
		// A re-install: the matter of the earlier install is reopened, not duplicated.
		return s.setStatus(ctx, matterActive)
	}
	return nil
}

func (s *actionstepSync) findOrCreateRecord(ctx workflow.Context, createFirst bool) (activities.Found, error) {
	rec := activities.RecordRef{MatterID: s.record.MatterID, DataCollectionID: s.setup.DataCollectionID}
	return findOrCreate(ctx, "data record", createFirst,
		func() (f activities.Found, err error) {
			err = workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: find the matter's data record"), as.FindRecord, rec).Get(ctx, &f)
			return f, err
		},
		func() (f activities.Found, err error) {
			err = workflow.ExecuteActivity(withActionstepCreate(ctx, "Actionstep: create the matter's data record"), as.CreateRecord, rec).Get(ctx, &f.ID)
			return f, err
		})
}

// refreshClientChange gates refreshing the client participant from the location's
// details (UpdateClient) when write is given them and the client was not created in
// this run. Runs that started before it replay without that step.
const refreshClientChange = "actionstep-refresh-client"

// write brings the client in line with the location when loc carries its details (the
// mapped participant fields: name, address, email), writes the subscription into the
// matter's data record and adds a file note.
func (s *actionstepSync) write(ctx workflow.Context, loc activities.Location, sub activities.SubscriptionData, note string) error {
	hasDetails := loc.Name != "" || loc.Address != "" || loc.Email != ""
	if hasDetails && !s.clientCreated && s.record.ParticipantID != "" &&
		workflow.GetVersion(ctx, refreshClientChange, workflow.DefaultVersion, 1) == 1 {
		if err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: refresh the client from the location"), as.UpdateClient,
			activities.ClientUpdate{ParticipantID: s.record.ParticipantID, Location: loc}).Get(ctx, nil); err != nil {
			return err
		}
	}
	if err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: write the subscription data"), as.WriteSubscriptionData, activities.DataWrite{
		RecordRef: activities.RecordRef{MatterID: s.record.MatterID, DataCollectionID: s.setup.DataCollectionID},
		RecordID:  s.record.RecordID, Location: loc, Subscription: sub,
	}).Get(ctx, nil); err != nil {
		return err
	}
	return s.note(ctx, note, sub.EventID)
}

// note adds a file note once. Notes are created first (each is new); after any
// failure that is not a definite refusal it looks for the marker before adding the
// note again.
func (s *actionstepSync) note(ctx workflow.Context, text, marker string) error {
	n := activities.Note{MatterID: s.record.MatterID, Text: fmt.Sprintf("%s [saasbridge %s]", text, marker), Marker: marker}
	if workflow.GetVersion(ctx, createRoundsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return s.noteFirstRelease(ctx, n)
	}
	var lastErr error
	for round := range maxCreateRounds {
		if round > 0 {
			if err := workflow.Sleep(ctx, roundBackoff(round, lastErr)); err != nil {
				return err
			}
			var exists bool
			if err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: look for the file note"), as.FindFileNote, n).Get(ctx, &exists); err != nil || exists {
				return err
			}
		}
		err := workflow.ExecuteActivity(withActionstepCreate(ctx, "Actionstep: add a file note"), as.AddFileNote, n).Get(ctx, nil)
		if err == nil || refused(err) {
			return err
		}
		lastErr = err
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("could not confirm the file note was added after %d tries: %v", maxCreateRounds, lastErr), ErrTypeActionstepCreateUnconfirmed, nil)
}

// noteFirstRelease is note as the first release ran it (see createRoundsChange).
func (s *actionstepSync) noteFirstRelease(ctx workflow.Context, n activities.Note) error {
	for range firstReleaseCreateRounds {
		err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: add a file note"), as.AddFileNote, n).Get(ctx, nil)
		if !outcomeUnknown(err) {
			return err
		}
		var exists bool
		if err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: look for the file note"), as.FindFileNote, n).Get(ctx, &exists); err != nil || exists {
			return err
		}
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("could not confirm the file note was added after %d tries", firstReleaseCreateRounds), ErrTypeActionstepCreateUnconfirmed, nil)
}

// Matter statuses.
const (
	matterActive = "Active"
	matterClosed = "Closed"
)

func (s *actionstepSync) setStatus(ctx workflow.Context, status string) error {
	return workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: set the matter "+status), as.SetMatterStatus,
		activities.MatterStatus{MatterID: s.record.MatterID, Status: status}).Get(ctx, nil)
}
