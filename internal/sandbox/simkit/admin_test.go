package simkit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type spec struct {
	Name string `json:"name"`
}

func TestDecodeBody(t *testing.T) {
	decode := func(body string) (spec, error) {
		var s spec
		err := DecodeBody(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)), &s)
		return s, err
	}
	s, err := decode(`{"name":"a"}`)
	require.NoError(t, err)
	assert.Equal(t, "a", s.Name)
	s, err = decode(" \n")
	require.NoError(t, err, "the body is optional")
	assert.Zero(t, s)

	for _, body := range []string{`{"nome":"a"}`, `{"name":`} {
		_, err = decode(body)
		var se *StatusError
		require.ErrorAs(t, err, &se, body)
		assert.Equal(t, http.StatusBadRequest, se.Status)
		assert.True(t, strings.HasPrefix(se.Message, "invalid JSON body: "), se.Message)
	}
	_, err = decode(`{"nome":"a"}`)
	assert.ErrorContains(t, err, "unknown field")
}

func TestAdminReplies(t *testing.T) {
	a := Admin{Mux: http.NewServeMux(), ContentType: "application/json; charset=utf-8"}
	a.Handle("POST /things", http.StatusCreated, WithBody(func(s spec) (spec, error) {
		if s.Name == "" {
			return spec{}, Errorf(http.StatusConflict, "thing %q exists", s.Name)
		}
		return spec{Name: s.Name + " & co"}, nil
	}))
	a.Handle("DELETE /things", http.StatusNoContent, func(*http.Request) (any, error) { return nil, nil })
	a.Handle("GET /broken", http.StatusOK, func(*http.Request) (any, error) { return nil, errors.New("<bug>") })
	a.Handle("GET /unencodable", http.StatusOK, func(*http.Request) (any, error) { return func() {}, nil })
	call := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		a.Mux.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
		return w
	}

	w := call(http.MethodPost, "/things", `{"name":"acme"}`)
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "{\"name\":\"acme & co\"}\n", w.Body.String(), "exact bytes without EscapeHTML")

	w = call(http.MethodPost, "/things", `{}`)
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Equal(t, "{\"statusCode\":409,\"message\":\"thing \\\"\\\" exists\"}\n", w.Body.String())
	w = call(http.MethodPost, "/things", `{"x":1}`)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), `"statusCode":400`)

	w = call(http.MethodDelete, "/things", "")
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Empty(t, w.Body.String())
	assert.Empty(t, w.Header().Get("Content-Type"))

	w = call(http.MethodGet, "/broken", "")
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, "{\"statusCode\":500,\"message\":\"\\u003cbug\\u003e\"}\n", w.Body.String(), "error replies escape")
	assert.Equal(t, http.StatusInternalServerError, call(http.MethodGet, "/unencodable", "").Code)

	a.EscapeHTML = true
	a.ContentType = "application/json"
	a.Mux = http.NewServeMux()
	a.Handle("GET /amp", http.StatusOK, func(*http.Request) (any, error) { return spec{Name: "a & b"}, nil })
	w = call(http.MethodGet, "/amp", "")
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, "{\"name\":\"a \\u0026 b\"}\n", w.Body.String())
}

func TestStatusErrors(t *testing.T) {
	err := Errorf(http.StatusNotFound, "agency %q not found", "x")
	assert.EqualError(t, err, `agency "x" not found`)
	assert.Equal(t, &StatusError{Status: http.StatusBadRequest, Message: "bad"}, BadRequest("bad"))
}
