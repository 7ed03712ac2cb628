package workflows_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/saasbridge/saasbridge/activities"
)

var as *activities.Actionstep

// testEnv is a workflow test environment with a small model of Actionstep behind the
// Actionstep activities, so tests assert on the records the flows leave behind.
type testEnv struct {
	*testsuite.TestWorkflowEnvironment
	as *fakeActionstep
}

// fakeActionstep keeps clients, matters, records and notes like the real thing would.
// lose makes a create apply and then fail with OutcomeUnknown, as a dropped answer does.
type fakeActionstep struct {
	mu      sync.Mutex
	next    int
	clients map[string]string // location → participant
	matters map[string]*fakeMatter
	records map[string]string // matter → record
	notes   []activities.Note
	writes  []activities.DataWrite
	updates []activities.ClientUpdate // UpdateClient calls
	// taskWanted: the mapping asks for a first task; tasks holds them, matter → id.
	taskWanted bool
	tasks      map[string]string
	lose       map[string]int // activity name → answers still to lose
	held       map[string]int // activity name → creates still to be held back by the pacing (nothing sent)
	crash      map[string]int // activity name → applied creates whose worker then dies
	creates    map[string]int // activity name → creates applied
	finds      map[string]int // activity name → finds made
}

type fakeMatter struct {
	id, status, participant string
}

func newFakeActionstep() *fakeActionstep {
	return &fakeActionstep{clients: map[string]string{}, matters: map[string]*fakeMatter{}, records: map[string]string{},
		tasks: map[string]string{}, lose: map[string]int{}, held: map[string]int{}, crash: map[string]int{}, creates: map[string]int{}, finds: map[string]int{}}
}

func (f *fakeActionstep) id(prefix string) string {
	f.next++
	return fmt.Sprintf("%s%d", prefix, f.next)
}

// heldBack reports whether the pacing holds a create back (nothing is sent): the
// activity's RateLimited error with the slot's delay, as activities.classify makes it.
func (f *fakeActionstep) heldBack(name string) error {
	if f.held[name] == 0 {
		return nil
	}
	f.held[name]--
	return temporal.NewApplicationErrorWithOptions("the request budget actionstep:org is spent for now; holding the request back for 3s",
		activities.ErrTypeRateLimited, temporal.ApplicationErrorOptions{NextRetryDelay: 3 * time.Second})
}

// applied records a create and reports whether its answer is lost.
func (f *fakeActionstep) applied(name string) error {
	f.creates[name]++
	if f.crash[name] > 0 {
		// What the workflow sees when the worker died after the create: a timeout,
		// or (here) a retryable failure of its only attempt.
		f.crash[name]--
		return temporal.NewApplicationError("worker lost mid-activity", "Timeout")
	}
	if f.lose[name] > 0 {
		f.lose[name]--
		return temporal.NewNonRetryableApplicationError("actionstep "+name+": connection reset (the create may have been applied)", activities.ErrTypeOutcomeUnknown, nil)
	}
	return nil
}

func (f *fakeActionstep) install(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivity(&activities.Actionstep{})
	env.OnActivity(as.LookupMatterType, mock.Anything).Maybe().Return("40", nil)
	env.OnActivity(as.LookupClientType, mock.Anything).Maybe().Return("27", nil)
	env.OnActivity(as.LookupDataCollection, mock.Anything, "40").Maybe().Return("148", nil)
	env.OnActivity(as.ResolveSetup, mock.Anything).Maybe().Return(activities.Setup{MatterTypeID: "40", ClientTypeID: "27", DataCollectionID: "148"}, nil)
	env.OnActivity(as.FindClient, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, loc string) (activities.Found, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.finds["FindClient"]++
		return activities.Found{ID: f.clients[loc]}, nil
	})
	env.OnActivity(as.CreateClient, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, loc activities.Location) (string, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if err := f.heldBack("CreateClient"); err != nil {
			return "", err
		}
		f.clients[loc.LocationID] = f.id("p")
		return f.clients[loc.LocationID], f.applied("CreateClient")
	})
	env.OnActivity(as.UpdateClient, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, in activities.ClientUpdate) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.updates = append(f.updates, in)
		return nil
	})
	env.OnActivity(as.FindMatter, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, ref activities.MatterRef) (activities.Found, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.finds["FindMatter"]++
		if m := f.matters[ref.LocationID]; m != nil {
			return activities.Found{ID: m.id, Status: m.status}, nil
		}
		return activities.Found{}, nil
	})
	env.OnActivity(as.CreateMatter, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, in activities.NewMatter) (string, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if err := f.heldBack("CreateMatter"); err != nil {
			return "", err
		}
		m := &fakeMatter{id: f.id("m"), status: "Active", participant: in.ParticipantID}
		f.matters[in.LocationID] = m
		return m.id, f.applied("CreateMatter")
	})
	env.OnActivity(as.SetMatterStatus, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, in activities.MatterStatus) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, m := range f.matters {
			if m.id == in.MatterID {
				m.status = in.Status
			}
		}
		return nil
	})
	env.OnActivity(as.FindRecord, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, in activities.RecordRef) (activities.Found, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.finds["FindRecord"]++
		return activities.Found{ID: f.records[in.MatterID]}, nil
	})
	env.OnActivity(as.CreateRecord, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, in activities.RecordRef) (string, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if err := f.heldBack("CreateRecord"); err != nil {
			return "", err
		}
		f.records[in.MatterID] = f.id("r")
		return f.records[in.MatterID], f.applied("CreateRecord")
	})
	env.OnActivity(as.FindFirstTask, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, in activities.FirstTaskRef) (activities.FirstTask, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return activities.FirstTask{Wanted: f.taskWanted, ID: f.tasks[in.MatterID]}, nil
	})
	env.OnActivity(as.CreateFirstTask, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, in activities.FirstTaskRef) (string, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.tasks[in.MatterID] = f.id("t")
		return f.tasks[in.MatterID], f.applied("CreateFirstTask")
	})
	env.OnActivity(as.WriteSubscriptionData, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, in activities.DataWrite) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.writes = append(f.writes, in)
		return nil
	})
	env.OnActivity(as.AddFileNote, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, n activities.Note) (string, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.notes = append(f.notes, n)
		return f.id("n"), f.applied("AddFileNote")
	})
	env.OnActivity(as.FindFileNote, mock.Anything, mock.Anything).Maybe().Return(func(_ context.Context, n activities.Note) (bool, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, have := range f.notes {
			if have.MatterID == n.MatterID && strings.Contains(have.Text, n.Marker) {
				return true, nil
			}
		}
		return false, nil
	})
}

// noteTexts lists the notes' texts in the order they were added.
func (f *fakeActionstep) noteTexts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.notes {
		out = append(out, n.Text)
	}
	return out
}
