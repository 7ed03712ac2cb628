package mapping_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/mapping"
)

func TestPresets(t *testing.T) {
	ps := mapping.Presets()
	var refs []string
	for _, p := range ps {
		refs = append(refs, p.Ref())
		assert.NotEmpty(t, p.Description, p.Ref())
		assert.NotNil(t, p.Mapping.Participant(values()).CompanyName, p.Ref())
		got, err := mapping.LookupPreset(p.Ref())
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	assert.Equal(t, []string{"lead-to-client@1", "standard@1"}, refs)

	std, err := mapping.LookupPreset("standard")
	require.NoError(t, err)
	assert.Equal(t, mapping.Default(), std.Mapping, "no template is standard@1")
	_, err = mapping.LookupPreset("lead-to-client@9")
	assert.ErrorContains(t, err, `no template "lead-to-client@9" (there are lead-to-client@1, standard@1)`)
}

// lead-to-client maps the location's business contact onto the client and opens the
// matter with a first task.
func TestLeadToClient(t *testing.T) {
	p, err := mapping.LookupPreset("lead-to-client")
	require.NoError(t, err)
	f := p.Mapping.Participant(values())
	assert.Equal(t, []string{"Acme Dental", "ops@acme.example", "+61 2 9000 0000", "https://acme.example", "1 Campbell Pde"},
		[]string{*f.CompanyName, *f.Email, *f.Phone1Number, *f.Website, *f.PhysicalAddressLine1})
	task, ok := p.Mapping.Task(values())
	require.True(t, ok)
	assert.Equal(t, mapping.Task{Name: "Welcome call with Acme Dental", DueInDays: 2, Priority: "High",
		Description: "New client from HighLevel (location loc_1): confirm the engagement, the contact details and the plan (Pro, active)."}, task)
	_, ok = mapping.Default().Task(values())
	assert.False(t, ok, "standard has no task")
}

// A custom mapping laid over a template replaces entries by key, its task whole, and
// brings the initial-plan rules; it need not map companyName.
func TestFromEnvExtendsATemplate(t *testing.T) {
	over := `{"data":{"status":"{{subscription.status}} since {{event.occurredAt}}","tier":"{{subscription.planTitle}}"},
		"task":{"name":"Intake for {{location.name}}"},
		"initialPlan":[{"when":{"location.companyId":"co_1"},"planId":"plan_pro","priceId":"price_1"},{"planId":"plan_basic"}]}`
	m, err := mapping.FromEnv("lead-to-client@1", over, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"last_change", "plan", "status", "subscription_id", "tier"}, m.DataFields())
	assert.Equal(t, "active since 2026-05-28T20:26:40Z", m.Data(values())["status"])
	assert.Equal(t, "ops@acme.example", *m.Participant(values()).Email, "the template's participant stays")
	task, ok := m.Task(values())
	require.True(t, ok)
	assert.Equal(t, mapping.Task{Name: "Intake for Acme Dental", DueInDays: 1}, task)
	rules := m.PlanRules()
	require.Len(t, rules, 2)
	assert.Equal(t, "initialPlan[0] of the mapping (location.companyId = co_1)", rules[0].Describe())
	assert.True(t, rules[0].Matches(values()))
	assert.False(t, rules[0].Matches(mapping.NewValues(mapping.Location{CompanyID: "co_2"}, mapping.Subscription{}, mapping.Event{})))
	assert.True(t, rules[1].Matches(mapping.Values{}), "no condition: every location")

	b, err := json.Marshal(m)
	require.NoError(t, err)
	again, err := mapping.Parse(b)
	require.NoError(t, err)
	assert.Equal(t, m.DataFields(), again.DataFields(), "the merged mapping round-trips")
	assert.Len(t, again.PlanRules(), 2)

	only, err := mapping.FromEnv("lead-to-client", "", "")
	require.NoError(t, err)
	p, _ := mapping.LookupPreset("lead-to-client@1")
	assert.Equal(t, p.Mapping, only)

	_, err = mapping.FromEnv("no-such-template", "", "")
	assert.ErrorContains(t, err, "no template")
	_, err = mapping.FromEnv("", `{"data":{}}`, "")
	requireProblems(t, err, problem{"participant.companyName", "required"})
	_, err = mapping.FromEnv("standard", `{"data":{"Bad":"x"}}`, "")
	requireProblems(t, err, problem{"data.Bad", "lower_snake_case"})
}

func TestTaskAndPlanRulesReject(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []problem
	}{
		{"task without name", `"task":{"dueInDays":1}`, []problem{{"task.name", "required"}}},
		{"task name not a template", `"task":{"name":7}`, []problem{{"task.name", "must be a JSON string"}}},
		{"task name unknown source", `"task":{"name":"Call {{location.nam}}"}`, []problem{{"task.name", "unknown source"}}},
		{"task due too late", `"task":{"name":"x","dueInDays":400}`, []problem{{"task.dueInDays", "from 0 to 365"}}},
		{"task priority", `"task":{"name":"x","priority":"Urgent"}`, []problem{{"task.priority", "Low, Normal, High"}}},
		{"task unknown key", `"task":{"name":"x","assignee":"me"}`, []problem{{"task.assignee", "unknown key"}}},
		{"task not an object", `"task":"call them"`, []problem{{"task", "must be a JSON object"}}},
		{"rules not an array", `"initialPlan":{"planId":"p"}`, []problem{{"initialPlan", "must be a JSON array"}}},
		{"rule without plan", `"initialPlan":[{"priceId":"price_1"}]`, []problem{{"initialPlan[0].planId", "required"}}},
		{"rule on a subscription field", `"initialPlan":[{"when":{"subscription.status":"active"},"planId":"p"}]`,
			[]problem{{"initialPlan[0].when[\"subscription.status\"]", "location fields"}}},
		{"rule with an empty value", `"initialPlan":[{"when":{"location.name":" "},"planId":"p"}]`,
			[]problem{{"initialPlan[0].when[\"location.name\"]", "non-empty"}}},
		{"rule with a spaced id", `"initialPlan":[{"planId":"plan 1"}]`, []problem{{"initialPlan[0].planId", "whitespace"}}},
		{"rule unknown key", `"initialPlan":[{"planId":"p","trial":14}]`, []problem{{"initialPlan[0].trial", "unknown key"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mapping.Parse([]byte(`{` + company + `,` + tc.doc + `}`))
			requireProblems(t, err, tc.want...)
		})
	}
}
