package simkit

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testClient(t *testing.T, h http.HandlerFunc) AdminClient {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return AdminClient{BaseURL: srv.URL + "/", HTTP: srv.Client(), Name: "test sandbox"}
}

func TestAdminClientDo(t *testing.T) {
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_sandbox/echo":
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(b)
		case "/_sandbox/empty":
			assert.Empty(t, r.Header.Get("Content-Type"), "no body, no media type")
			w.WriteHeader(http.StatusNoContent)
		case "/_sandbox/json-error":
			w.WriteHeader(http.StatusConflict)
			_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": 409, "message": "exists"})
		default:
			http.Error(w, "no such thing", http.StatusNotFound)
		}
	})
	ctx := t.Context()
	out, err := Fetch[spec](ctx, c, http.MethodPost, "/_sandbox/echo", spec{Name: "a"})
	require.NoError(t, err)
	assert.Equal(t, spec{Name: "a"}, out)
	require.NoError(t, c.Do(ctx, http.MethodDelete, "/_sandbox/empty", nil, nil))

	var ae *AdminError
	err = c.Do(ctx, http.MethodGet, "/_sandbox/json-error", nil, nil)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, &AdminError{Name: "test sandbox", StatusCode: http.StatusConflict, Message: "exists"}, ae)
	assert.EqualError(t, err, "test sandbox admin: 409 exists")
	_, err = Fetch[spec](ctx, c, http.MethodGet, "/_sandbox/nope", nil)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, &AdminError{Name: "test sandbox", StatusCode: http.StatusNotFound, Message: "no such thing"}, ae, "a body that is not JSON is the message")
}

func TestAdminClientAuthorize(t *testing.T) {
	redirect := "https://app.example.com/cb?code=c0de&state=st-1"
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		switch r.Form.Get("account") {
		case "ok":
			http.Redirect(w, r, redirect, http.StatusSeeOther)
		case "nocode":
			http.Redirect(w, r, "https://app.example.com/cb?state=x", http.StatusSeeOther)
		default:
			http.Error(w, "unknown account", http.StatusBadRequest)
		}
	})
	code, state, err := c.Authorize(t.Context(), "/consent", url.Values{"account": {"ok"}})
	require.NoError(t, err)
	assert.Equal(t, "c0de", code)
	assert.Equal(t, "st-1", state)

	_, _, err = c.Authorize(t.Context(), "/consent", url.Values{"account": {"nope"}})
	assert.Equal(t, &AdminError{Name: "test sandbox", StatusCode: http.StatusBadRequest, Message: "unknown account"}, err)
	_, _, err = c.Authorize(t.Context(), "/consent", url.Values{"account": {"nocode"}})
	assert.EqualError(t, err, "test sandbox: consent redirect carries no code")
}
