package actionstep_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/httpapi/httpapitest"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

// errorsDoc is an Actionstep error document as the API sends it (reference §2.10).
func errorsDoc(status, code, title, detail string) string {
	return `{"errors":{"id":"9f44","links":{"about":null},"status":` + status + `,"code":"` + code + `","title":"` + title +
		`","detail":"` + detail + `","source":{"pointer":null,"parameter":null},"meta":[],"rls":null}}`
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		code, msg  string
		temporary  bool
		retryAfter time.Duration
	}{
		{name: "400", status: 400, body: errorsDoc("400", "AS-1302", "Invalid JSON Message", "Unable to decode the JSON message"),
			code: "AS-1302", msg: "Invalid JSON Message: Unable to decode the JSON message"},
		{name: "401 expired token", status: 401, body: `{"error":"expired_token","error_description":"The access token provided has expired. Please refresh your token. (4a)"}`,
			code: "expired_token", msg: "The access token provided has expired. Please refresh your token. (4a)"},
		{name: "403", status: 403, body: errorsDoc(`"403"`, "AS-1500", "Forbidden", "Forbidden"), code: "AS-1500", msg: "Forbidden"},
		{name: "404", status: 404, body: errorsDoc("404", "AS-TBC", "API Resource Not Found", "The specified Resource 'Participantz' does not exist"),
			code: "AS-TBC", msg: "API Resource Not Found: The specified Resource 'Participantz' does not exist"},
		{name: "422 several errors", status: 422,
			body: `{"errors":[{"status":422,"code":"P01","title":"Validation","detail":"companyName is required"},{"status":"422","code":1301,"detail":"isCompany must be T or F"}]}`,
			code: "P01", msg: "Validation: companyName is required; isCompany must be T or F"},
		{name: "429 with Retry-After", status: 429, header: map[string]string{"Retry-After": "7"},
			body: errorsDoc("429", "AS-1429", "Too Many Requests", ""), code: "AS-1429", msg: "Too Many Requests",
			temporary: true, retryAfter: 7 * time.Second},
		{name: "429 without headers or body", status: 429, temporary: true},
		{name: "500", status: 500, body: errorsDoc("500", "AS-1400", "Internal Error", "Unexpected condition"),
			code: "AS-1400", msg: "Internal Error: Unexpected condition", temporary: true},
		{name: "502 from a proxy is not quoted", status: 502, header: map[string]string{"Content-Type": "text/html"},
			body: "<html><body>bad gateway at 10.0.0.7</body></html>", temporary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			_, err := api.client(t).GetParticipant(context.Background(), "7939")
			e := requireAPIError(t, err, tt.status)
			assert.Equal(t, actionstep.EndpointGetParticipant, e.Endpoint)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.msg, e.Message)
			assert.Equal(t, tt.temporary, e.Temporary())
			assert.Equal(t, tt.retryAfter, e.RetryAfter)
			assert.NotContains(t, err.Error(), "html")
			assert.NotContains(t, err.Error(), "7939", "errors name the endpoint template, not the URL")
			assert.NotContains(t, err.Error(), testAccessToken)
		})
	}
}

func TestTransportDropIsTransportError(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request) {
		// The connection dies after the request arrived: the outcome is unknown to the client.
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	obs := &httpapitest.Recorder[httpapi.Call]{}
	_, err := api.client(t, actionstep.WithObserver(obs.Observe)).CreateParticipant(context.Background(),
		actionstep.ParticipantFields{IsCompany: new(actionstep.Bool(true)), CompanyName: new("Acme")})
	var te *httpapi.TransportError
	require.True(t, errors.As(err, &te), "want *TransportError, got %T: %v", err, err)
	assert.Equal(t, actionstep.EndpointCreateParticipant, te.Endpoint)
	assert.True(t, strings.HasPrefix(err.Error(), "actionstep "+actionstep.EndpointCreateParticipant+": "), "got %v", err)
	assert.NotContains(t, err.Error(), testAccessToken)
	assert.NotContains(t, err.Error(), "Acme", "the request body is not quoted")
	calls := obs.Snapshot()
	require.Len(t, calls, 1)
	assert.Zero(t, calls[0].StatusCode)
}

func TestConnectionRefusedIsTransportError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := "http://" + l.Addr().String() + "/api/"
	require.NoError(t, l.Close())
	c := newClient(t, "http://127.0.0.1:1/token").As(credential(testAccessToken, endpoint))
	_, err = c.GetAction(context.Background(), "1")
	var te *httpapi.TransportError
	require.True(t, errors.As(err, &te), "got %T: %v", err, err)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		call func(c *actionstep.Client) error
		body string
	}{
		{"not JSON", func(c *actionstep.Client) error { _, err := c.GetAction(context.Background(), "1"); return err }, `<html>`},
		{"missing resource key", func(c *actionstep.Client) error { _, err := c.GetAction(context.Background(), "1"); return err }, `{"participants":{"id":1}}`},
		{"get with two records", func(c *actionstep.Client) error { _, err := c.GetAction(context.Background(), "1"); return err }, `{"actions":[{"id":1},{"id":2}]}`},
		{"create answered with no body", func(c *actionstep.Client) error {
			_, err := c.CreateFileNote(context.Background(), "1", actionstep.NewNote{Text: "x"})
			return err
		}, ``},
		{"flag that is not T/F", func(c *actionstep.Client) error { _, err := c.GetAction(context.Background(), "1"); return err }, `{"actions":{"id":1,"isDeleted":"maybe"}}`},
		{"fractional id", func(c *actionstep.Client) error { _, err := c.GetAction(context.Background(), "1"); return err }, `{"actions":{"id":1.5}}`},
		{"resource not a record", func(c *actionstep.Client) error {
			_, err := c.ListActions(context.Background(), actionstep.Query{})
			return err
		}, `{"actions":"none"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := http.StatusOK
			if tt.body == "" {
				status = http.StatusNoContent
			}
			api := newFakeAPI(t, reply(status, tt.body))
			err := tt.call(api.client(t))
			var de *httpapi.DecodeError
			require.True(t, errors.As(err, &de), "want *DecodeError, got %T: %v", err, err)
			assert.Equal(t, status, de.StatusCode)
			assert.Regexp(t, `^actionstep [A-Z]+ /\S+: decode \d+ response: `, err.Error())
			assert.NotContains(t, err.Error(), "maybe", "decode errors do not quote the body")
		})
	}
}

func TestOversizedBodyIsDecodeError(t *testing.T) {
	big := `{"actions":[` + strings.Repeat(`{"id":1,"name":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},`, 9<<20/80) + `{"id":2}]}`
	api := newFakeAPI(t, reply(200, big))
	_, err := api.client(t).ListActions(context.Background(), actionstep.Query{})
	var de *httpapi.DecodeError
	require.True(t, errors.As(err, &de), "got %T: %v", err, err)
}

// TestRefusedBeforeSending covers requests the client must not send at all.
func TestRefusedBeforeSending(t *testing.T) {
	api := newFakeAPI(t, reply(200, `{}`))
	c := api.client(t)
	ctx := context.Background()
	tests := map[string]func() error{
		"empty id on get": func() error { _, err := c.GetParticipant(ctx, ""); return err },
		"dot-dot id":      func() error { _, err := c.GetAction(ctx, ".."); return err },
		"empty id on update": func() error {
			_, err := c.UpdateDataCollectionRecordValue(ctx, "", "x")
			return err
		},
		"file notes without a matter": func() error { _, err := c.ListFileNotes(ctx, "", actionstep.Query{}); return err },
		"unknown operator": func() error {
			_, err := c.ListParticipants(ctx, actionstep.Query{Filters: []actionstep.Filter{{Field: "x", Op: "approx", Value: "1"}}})
			return err
		},
		"filter without field": func() error {
			_, err := c.ListParticipants(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("", "1")}})
			return err
		},
		"no credential": func() error {
			_, err := newClient(t, api.srv.URL).CurrentUser(ctx)
			return err
		},
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			require.Error(t, call())
		})
	}
	assert.Empty(t, api.requests())
}

func TestSandboxErrorDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		scope     string
		tamper    func(r *http.Request, body []byte) []byte
		call      func(ctx context.Context, c *actionstep.Client) error
		status    int
		code      string
		message   string // contained
		endpoint  string
		temporary bool
	}{
		{
			name: "400 unknown attribute (names are case-sensitive)",
			tamper: func(_ *http.Request, body []byte) []byte {
				return bytes.ReplaceAll(body, []byte(`"companyName"`), []byte(`"CompanyName"`))
			},
			call: func(ctx context.Context, c *actionstep.Client) error {
				_, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{IsCompany: new(actionstep.Bool(true)), CompanyName: new("Acme")})
				return err
			},
			status: 400, code: "AS-1300", message: "Invalid Request: Unknown attribute 'CompanyName' for participants",
			endpoint: actionstep.EndpointCreateParticipant,
		},
		{
			name: "400 validation",
			call: func(ctx context.Context, c *actionstep.Client) error {
				_, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{IsCompany: new(actionstep.Bool(true))})
				return err
			},
			status: 400, code: "AS-1300", message: "companyName is required", endpoint: actionstep.EndpointCreateParticipant,
		},
		{
			name: "400 unknown filter field",
			call: func(ctx context.Context, c *actionstep.Client) error {
				_, err := c.ListParticipants(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("importExternalRef", "x")}})
				return err
			},
			status: 400, code: "AS-1300", message: "Cannot filter participants by 'importExternalRef'", endpoint: actionstep.EndpointListParticipants,
		},
		{
			name:  "403 outside the token's scope",
			scope: "participants users",
			call: func(ctx context.Context, c *actionstep.Client) error {
				_, err := c.ListActions(ctx, actionstep.Query{})
				return err
			},
			status: 403, code: "AS-1104", message: "scope does not include 'actions'", endpoint: actionstep.EndpointListActions,
		},
		{
			name: "404 record",
			call: func(ctx context.Context, c *actionstep.Client) error {
				_, err := c.GetParticipant(ctx, "9999")
				return err
			},
			status: 404, code: "AS-1501", message: "Resource Not Found: The requested participants record '9999' does not exist",
			endpoint: actionstep.EndpointGetParticipant,
		},
		{
			name: "404 value of a record that does not exist",
			call: func(ctx context.Context, c *actionstep.Client) error {
				_, err := c.UpdateDataCollectionRecordValue(ctx, "148--plan--9999", "Pro")
				return err
			},
			status: 404, code: "AS-1501", endpoint: actionstep.EndpointUpdateDataCollectionRecordValue,
		},
		{
			name: "406 when Accept is not the API's type",
			tamper: func(r *http.Request, body []byte) []byte {
				r.Header.Set("Accept", "application/json")
				return body
			},
			call: func(ctx context.Context, c *actionstep.Client) error {
				_, err := c.GetParticipant(ctx, "10")
				return err
			},
			status: 406, code: "AS-1103", message: "Not Acceptable", endpoint: actionstep.EndpointGetParticipant,
		},
		{
			name: "415 when the body is not the API's type",
			tamper: func(r *http.Request, body []byte) []byte {
				r.Header.Set("Content-Type", "application/json")
				return body
			},
			call: func(ctx context.Context, c *actionstep.Client) error {
				_, err := c.UpdateParticipant(ctx, "10", actionstep.ParticipantFields{PreferredName: new("x")})
				return err
			},
			status: 415, code: "AS-1102", message: "Unsupported Media Type", endpoint: actionstep.EndpointUpdateParticipant,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSimEnv(t, actionstepsim.Options{})
			c, s := e.login(cmp.Or(tt.scope, "all"))
			e.wire.setTamper(tt.tamper)
			err := tt.call(t.Context(), c)
			apiErr := requireAPIError(t, err, tt.status)
			assert.Equal(t, tt.code, apiErr.Code)
			assert.Contains(t, apiErr.Message, tt.message)
			assert.Equal(t, tt.endpoint, apiErr.Endpoint)
			assert.Equal(t, tt.temporary, apiErr.Temporary())
			assert.Zero(t, apiErr.RetryAfter)
			assert.NotContains(t, err.Error(), s.current().AccessToken)
			// The body really was the errors document.
			var doc struct {
				Errors struct {
					Status int    `json:"status"`
					Code   string `json:"code"`
				} `json:"errors"`
			}
			log := e.wire.all()
			require.NoError(t, json.Unmarshal(log[len(log)-1].resp, &doc))
			assert.Equal(t, tt.status, doc.Errors.Status)
			assert.Equal(t, tt.code, doc.Errors.Code)
		})
	}
}
