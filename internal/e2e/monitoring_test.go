package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"gopkg.in/yaml.v3"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/workflows"
)

// promtoolPath is the promtool the monitoring tests run: scripts/promtool.sh finds it
// (SAASBRIDGE_PROMTOOL, PATH, Debian's path) or installs Debian's prometheus package.
func promtoolPath(t *testing.T) string {
	t.Helper()
	return toolFromScript(t, "promtool.sh", "promtool", "Install Debian's prometheus package or set SAASBRIDGE_PROMTOOL to a promtool binary")
}

// queries is every PromQL expression of the deploy/ files: the alert rules' and the
// dashboard's, by where they are.
func queries(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "prometheus", "alerts.yml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &rules))
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			out["alert "+r.Alert] = r.Expr
		}
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err = os.ReadFile(filepath.Join(repoRoot(), "deploy", "grafana", "dashboards", "saasbridge.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &dash))
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			out["panel "+p.Title+" "+tg.RefID] = tg.Expr
		}
	}
	require.Greater(t, len(out), 20)
	return out
}

var (
	// What in a PromQL expression is not a metric name: strings, label matchers,
	// grouping clauses, ranges, numbers and durations.
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promNumbers  = regexp.MustCompile(`\b\d[0-9a-zA-Z.]*`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?`)
	promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true}
)

// metricNames are the metric names an expression reads: identifiers that are not
// functions, aggregations, keywords or label names.
func metricNames(expr string) []string {
	e := promStrings.ReplaceAllString(expr, `""`)
	e = promMatchers.ReplaceAllString(e, "")
	e = promGrouping.ReplaceAllString(e, "")
	e = promRanges.ReplaceAllString(e, "")
	e = promNumbers.ReplaceAllString(e, "")
	var out []string
	for _, m := range promIdent.FindAllStringSubmatch(e, -1) {
		name := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[0]), "("))
		if m[1] != "" || promKeywords[strings.ToLower(name)] {
			continue // a function or an aggregation
		}
		out = append(out, name)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`max(saasbridge_parked_events) > 0`: {"saasbridge_parked_events"},
		`sum by (api) (rate(saasbridge_api_requests_total{status="429"}[10m])) / sum by (api) (rate(saasbridge_api_requests_total[10m])) > 0.01`: {
			"saasbridge_api_requests_total", "saasbridge_api_requests_total"},
		`histogram_quantile(0.95, sum by (le, api) (rate(x_bucket{a=~"b|c"}[5m])))`: {"x_bucket"},
		`a and on(x) b unless c offset 5m`:                                          {"a", "b", "c"},
	} {
		assert.Equal(t, want, metricNames(expr), expr)
	}
}

// TestAlertRulesAndDashboardQueriesParse: promtool checks the alert rules, and the
// dashboard's queries (as recording rules of a file of their own).
func TestAlertRulesAndDashboardQueriesParse(t *testing.T) {
	need(t)
	promtool := promtoolPath(t)
	out, err := exec.Command(promtool, "check", "rules", filepath.Join(repoRoot(), "deploy", "prometheus", "alerts.yml")).CombinedOutput()
	require.NoError(t, err, "promtool check rules deploy/prometheus/alerts.yml:\n%s", out)
	assert.Contains(t, string(out), "SUCCESS")

	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	q := queries(t)
	for i, where := range slices.Sorted(maps.Keys(q)) {
		if strings.HasPrefix(where, "panel ") {
			rules = append(rules, rule{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: q[where]})
		}
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	require.NoError(t, os.WriteFile(file, b, 0o600))
	out, err = exec.Command(promtool, "check", "rules", file).CombinedOutput()
	require.NoError(t, err, "the dashboard's queries do not parse:\n%s", out)
}

// TestDashboardAndAlertsReadExportedMetrics scrapes the starter's and every worker's
// /metrics after traffic of each kind (an onboarding, a change HighLevel refuses, an
// uninstall that closes the owner, a workflow task that fails) and checks that every metric a dashboard query or an alert
// reads is one the programs export.
func TestDashboardAndAlertsReadExportedMetrics(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)
	require.NoError(t, s.admin.AddFaultRule(ctx, highlevelsim.Rule{Endpoint: highlevel.EndpointUpdateSubscription, LocationID: loc, Status: 422, Message: "refused for the metrics test", Times: 1}))
	r, err := workflows.ApplyLocationEvent(ctx, s.temporal, loc, s.companyID, workflows.LocationEvent{EventID: "metrics/refused", Kind: workflows.EventChange,
		Source: "e2e", OccurredAt: time.Now().UTC(), SubscriptionID: "sub_x_" + loc, CustomerID: "cus_" + loc})
	require.NoError(t, err)
	require.Equal(t, "parked", r.Outcome.Outcome)
	_, err = workflows.ResolveParked(ctx, s.temporal, loc, "metrics/refused", true)
	require.NoError(t, err)
	// The owner closes once uninstalled: a workflow outcome.
	s.sendEvent(ctx, t, loc, workflows.LocationEvent{EventID: "metrics/uninstall", Kind: workflows.EventUninstall, Source: "e2e"})
	require.NoError(t, s.temporal.GetWorkflow(ctx, workflows.LocationWorkflowID(loc), "").Get(ctx, nil))
	s.failAWorkflowTask(ctx, t)

	want := map[string][]string{}
	q := queries(t)
	for where, expr := range q {
		for _, name := range metricNames(expr) {
			want[name] = append(want[name], where)
		}
	}
	var missing []string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		exported := s.exportedMetrics(ctx, t)
		missing = missing[:0]
		for name := range want {
			if !exported[name] {
				missing = append(missing, name)
			}
		}
		assert.Empty(c, missing)
	}, time.Minute, time.Second)
	for _, name := range missing {
		t.Errorf("%s, read by %v, is exported by no program", name, want[name])
	}
	t.Logf("%d metrics read by %d queries, all exported", len(want), len(q))
}

// failAWorkflowTask starts a workflow of a type no worker knows on the owners' queue,
// which fails its workflow task (temporal_workflow_task_execution_failed), then ends it.
func (s *stack) failAWorkflowTask(ctx context.Context, t *testing.T) {
	t.Helper()
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "monitoring-check/" + randHex(4), TaskQueue: workflows.TaskQueue},
		"NoSuchWorkflowType")
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = s.temporal.TerminateWorkflow(context.Background(), run.GetID(), run.GetRunID(), "monitoring test")
	})
}

// exportedMetrics is the set of sample names on the starter's and the workers' /metrics.
func (s *stack) exportedMetrics(ctx context.Context, t *testing.T) map[string]bool {
	t.Helper()
	urls := []string{s.operatorURL + "/metrics"}
	for _, w := range s.workers {
		addr, err := w.waitLog(ctx, regexp.MustCompile(`"msg":"worker probes listening","addr":"([0-9.:]+)"`))
		require.NoError(t, err)
		urls = append(urls, "http://"+addr+"/metrics")
	}
	out := map[string]bool{}
	for _, u := range urls {
		status, body := get(ctx, t, u)
		require.Equal(t, 200, status, u)
		for line := range strings.SplitSeq(body, "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name, _, _ := strings.Cut(line, "{")
			name, _, _ = strings.Cut(name, " ")
			out[name] = true
		}
	}
	return out
}
