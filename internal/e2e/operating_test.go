package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/saasbridge/saasbridge/internal/payloadcodec"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/workflows"
)

func get(ctx context.Context, t testing.TB, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestPayloadsAreCiphertextInTemporal: the location's name and address travel in
// workflow results; Temporal's own copy of the history holds only ciphertext, while
// search attributes hold ids.
func TestPayloadsAreCiphertextInTemporal(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)
	state, err := s.admin.State(ctx)
	require.NoError(t, err)
	var location highlevelsim.Location
	for _, l := range state.Locations {
		if l.ID == loc {
			location = l
		}
	}
	require.NotEmpty(t, location.Name)

	// A client without the keys sees what Temporal stores.
	raw, err := client.Dial(client.Options{HostPort: s.frontendHostPort(), Logger: s.quietLogger()})
	require.NoError(t, err)
	defer raw.Close()
	it := raw.GetWorkflowHistory(ctx, workflows.LocationWorkflowID(loc), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var b strings.Builder
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		js, err := protojson.Marshal(ev)
		require.NoError(t, err)
		b.Write(js)
	}
	stored := b.String()
	// (Asserted without printing the history: a failure must not dump it.)
	assert.False(t, strings.Contains(stored, location.Name), "the location's name is encrypted")
	assert.False(t, strings.Contains(stored, location.Address), "and its address")
	assert.True(t, strings.Contains(stored, base64.StdEncoding.EncodeToString([]byte(payloadcodec.Encoding))), "payloads are marked encrypted")
	assert.True(t, strings.Contains(stored, loc), "search attributes and ids stay readable")
}

// TestProbesAndMetrics: readiness reports Temporal and the token store; both programs
// export the SDK's metrics and their own.
func TestProbesAndMetrics(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	status, body := get(ctx, t, s.operatorURL+"/readyz")
	require.Equal(t, http.StatusOK, status, body)
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &ready))
	assert.Equal(t, map[string]string{"temporal": "ok", "token_store": "ok"}, ready.Checks)
	status, _ = get(ctx, t, s.operatorURL+"/healthz")
	assert.Equal(t, http.StatusOK, status)

	// Some traffic of each kind.
	_, err := s.postWebhook(ctx, []byte(`{"type":"INSTALL"}`), "bad-signature")
	require.NoError(t, err)
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)
	s.sendEvent(ctx, t, loc, workflows.LocationEvent{EventID: "metrics/uninstall", Kind: workflows.EventUninstall, Source: "e2e"})
	_ = s.temporal.GetWorkflow(ctx, workflows.LocationWorkflowID(loc), "").Get(ctx, nil)

	_, starterMetrics := get(ctx, t, s.operatorURL+"/metrics")
	assert.Contains(t, starterMetrics, `saasbridge_webhooks_rejected_total{reason="signature",source="highlevel"}`)
	assert.Contains(t, starterMetrics, "temporal_request")

	// The owner may have completed on any worker: their metrics are read together.
	var addrs []string
	for _, w := range s.workers {
		addr, err := w.waitLog(ctx, regexp.MustCompile(`"msg":"worker probes listening","addr":"([0-9.:]+)"`))
		require.NoError(t, err)
		status, _ = get(ctx, t, "http://"+addr+"/readyz")
		assert.Equal(t, http.StatusOK, status)
		addrs = append(addrs, addr)
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var m string
		for _, addr := range addrs {
			_, one := get(ctx, t, "http://"+addr+"/metrics")
			m += one
		}
		assert.Contains(c, m, `saasbridge_api_requests_total{api="highlevel",endpoint="POST /saas/enable-saas/{locationId}",status="2xx"}`)
		assert.Contains(c, m, `saasbridge_api_requests_total{api="actionstep"`)
		assert.Contains(c, m, `saasbridge_workflow_outcomes_total{outcome="completed",workflow="Location"}`)
		assert.Contains(c, m, "temporal_activity_execution_latency")
	}, 20*time.Second, 500*time.Millisecond)
}
