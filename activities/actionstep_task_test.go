package activities

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

// TestEveryTemplateProvisionsAgainstTheSimulator renders and provisions each shipped
// template (ACTIONSTEP_TEMPLATE) with the real activities against the Actionstep
// simulator, which checks field names and formats: the client, the matter, its data,
// and the first task when the template asks for one, made once even when a create's
// answer is lost (under every hostile reading at once).
func TestEveryTemplateProvisionsAgainstTheSimulator(t *testing.T) {
	loc := Location{LocationID: "LeadLocation00000001", CompanyID: "co_1", Name: "Harbor & Vale Legal", Address: "10 W 13th St, New York",
		Email: "office@harborvale.example", Phone: "+1 212 555 0100", Website: "https://harborvale.example"}
	sub := SubscriptionData{SubscriptionID: "sub_1", CustomerID: "cus_1", PlanID: "plan_1", PlanTitle: "Practice Starter", Status: "trialing",
		EventID: "highlevel/install", EventSource: "test", ChangedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	for _, p := range mapping.Presets() {
		t.Run(p.Ref(), func(t *testing.T) {
			f := newASFixture(t, actionstepsim.Hostile(), actionstepsim.OrgSpec{})
			f.acts.Mapping = p.Mapping
			s := f.lookups()
			l := f.provision(s, loc)
			f.write(s, l, loc, sub)
			ref := FirstTaskRef{MatterID: l.matter, MatterTypeID: s.matterType, Location: loc, Subscription: sub}
			_, err := f.sim.SetFaults(actionstepsim.Faults{DropAfterCommitRate: 1, Endpoints: []string{"POST /rest/tasks"}})
			require.NoError(t, err)
			task := f.firstTask(ref)
			_, err = f.sim.SetFaults(actionstepsim.Faults{})
			require.NoError(t, err)
			again := f.firstTask(ref)
			assert.Equal(t, task, again, "a second provisioning finds the task")

			st := f.state()
			require.Len(t, st.Participants, 2, "the API user and the client")
			client := st.Participants[1]
			want := p.Mapping.Participant(sub.values(loc))
			assert.Equal(t, *want.CompanyName, client.CompanyName)
			assert.Equal(t, deref(want.Email), client.Email)
			assert.Equal(t, deref(want.Phone1Number), client.Phone1Number)
			assert.Equal(t, deref(want.Website), client.Website)
			values := map[string]string{}
			for _, v := range st.DataValues {
				if v.Value != nil {
					values[v.Field] = *v.Value
				}
			}
			assert.Equal(t, "Practice Starter (plan_1)", values["plan"])
			assert.Equal(t, "trialing", values["status"])

			spec, wanted := p.Mapping.Task(sub.values(loc))
			if !wanted {
				assert.Empty(t, task)
				assert.Empty(t, st.Tasks)
				return
			}
			require.Len(t, st.Tasks, 1, "one first task, whatever the lost answers")
			got := st.Tasks[0]
			assert.Equal(t, strconv.Itoa(got.ID), task)
			assert.Equal(t, spec.Name, got.Name)
			assert.True(t, strings.HasPrefix(got.Description, spec.Description))
			assert.True(t, strings.HasSuffix(got.Description, TaskMarker(loc.LocationID)))
			assert.Equal(t, "Incomplete", got.Status)
			assert.Equal(t, f.org.UserParticipantID, got.AssigneeID)
			due, err := time.Parse(time.RFC3339, got.DueTimestamp)
			require.NoError(t, err)
			assert.WithinDuration(t, time.Now().AddDate(0, 0, spec.DueInDays), due, time.Minute)
		})
	}
}

// firstTask runs the first-task step as the workflow does: find, then create when
// wanted and absent, looking again after a lost answer. It returns the task's id, ""
// when the mapping asks for none.
func (f *asFixture) firstTask(ref FirstTaskRef) string {
	f.t.Helper()
	var ft FirstTask
	require.NoError(f.t, f.run(&ft, f.acts.FindFirstTask, ref))
	if !ft.Wanted {
		return ""
	}
	return f.findOrCreate(
		func() (fd Found, err error) {
			var again FirstTask
			err = f.run(&again, f.acts.FindFirstTask, ref)
			return Found{ID: again.ID}, err
		},
		func() (id string, err error) { return id, f.run(&id, f.acts.CreateFirstTask, ref) })
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
