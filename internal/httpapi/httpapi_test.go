package httpapi_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/httpapi"
)

type observed struct {
	call   httpapi.Call
	header http.Header
}

func TestDoBoundsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "1")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(strings.Repeat("x", 10)))
	}))
	t.Cleanup(srv.Close)
	for limit, truncated := range map[int64]bool{9: true, 10: false, 11: false} {
		var obs []observed
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := httpapi.Do(srv.Client(), req, "testapi", "GET /x", limit, func(c httpapi.Call, h http.Header) {
			obs = append(obs, observed{c, h})
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusCreated || res.Truncated != truncated || int64(len(res.Body)) != min(limit, 10) {
			t.Errorf("limit %d: status %d, truncated %t, %d bytes", limit, res.Status, res.Truncated, len(res.Body))
		}
		if len(obs) != 1 || obs[0].call.Endpoint != "GET /x" || obs[0].call.StatusCode != http.StatusCreated ||
			obs[0].call.Duration <= 0 || obs[0].header.Get("X-Test") != "1" {
			t.Errorf("limit %d: observed %+v", limit, obs)
		}
	}
}

func TestDoTransportErrorNamesOnlyTheEndpoint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/records/SECRET-ID?token=SECRET"
	_ = l.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var obs []observed
	_, err = httpapi.Do(http.DefaultClient, req, "testapi", "GET /records/{id}", 1, func(c httpapi.Call, h http.Header) {
		obs = append(obs, observed{c, h})
	})
	var te *httpapi.TransportError
	if !errors.As(err, &te) || te.API != "testapi" || te.Endpoint != "GET /records/{id}" {
		t.Fatalf("got %T %v", err, err)
	}
	if !strings.HasPrefix(err.Error(), "testapi GET /records/{id}: ") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Error() = %q", err)
	}
	if len(obs) != 1 || obs[0].call.StatusCode != 0 || obs[0].header != nil {
		t.Errorf("observed %+v", obs)
	}
	// Without an observer nothing is reported, and nothing panics.
	if _, err := httpapi.Do(http.DefaultClient, req, "testapi", "GET /records/{id}", 1, nil); err == nil {
		t.Error("want an error")
	}
}

func TestDecodeError(t *testing.T) {
	cause := errors.New("unexpected end of JSON input")
	err := error(&httpapi.DecodeError{API: "testapi", Endpoint: "GET /x", StatusCode: 200, Err: cause})
	if err.Error() != "testapi GET /x: decode 200 response: unexpected end of JSON input" || !errors.Is(err, cause) {
		t.Errorf("got %q", err)
	}
}

// source hands out tokens "t0", "t1", … and records how it was asked.
type source struct {
	issued, contextCalls, plainCalls, reauths int
	reauthErr                                 error
}

func (s *source) next() *oauth2.Token {
	s.issued++
	return &oauth2.Token{AccessToken: "t" + strconv.Itoa(s.issued-1)}
}

func (s *source) Token() (*oauth2.Token, error) { s.plainCalls++; return s.next(), nil }

func (s *source) TokenContext(context.Context) (*oauth2.Token, error) {
	s.contextCalls++
	return s.next(), nil
}

func (s *source) Reauthorize(_ context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	s.reauths++
	if s.reauthErr != nil {
		return nil, s.reauthErr
	}
	return &oauth2.Token{AccessToken: rejected.AccessToken + "-fresh"}, nil
}

// plain is only an oauth2.TokenSource.
type plain struct{ s *source }

func (p plain) Token() (*oauth2.Token, error) { return p.s.Token() }

type failing struct{ err error }

func (f failing) Token() (*oauth2.Token, error) { return nil, f.err }

func TestAuthorized(t *testing.T) {
	ctx := t.Context()
	answer := func(statuses ...int) (func(*oauth2.Token) (httpapi.Response, error), *[]string) {
		var sent []string
		return func(tok *oauth2.Token) (httpapi.Response, error) {
			sent = append(sent, tok.AccessToken)
			return httpapi.Response{Status: statuses[len(sent)-1]}, nil
		}, &sent
	}

	t.Run("a 401 replaces the token once", func(t *testing.T) {
		s := &source{}
		send, sent := answer(http.StatusUnauthorized, http.StatusUnauthorized)
		res, err := httpapi.Authorized(ctx, s, "testapi", "GET /x", send)
		if err != nil || res.Status != http.StatusUnauthorized {
			t.Fatalf("got %+v, %v", res, err)
		}
		if strings.Join(*sent, ",") != "t0,t0-fresh" || s.reauths != 1 || s.contextCalls != 1 || s.plainCalls != 0 {
			t.Errorf("sent %v, source %+v", *sent, s)
		}
	})
	t.Run("other answers are returned as they are", func(t *testing.T) {
		s := &source{}
		send, sent := answer(http.StatusForbidden)
		res, err := httpapi.Authorized(ctx, s, "testapi", "GET /x", send)
		if err != nil || res.Status != http.StatusForbidden || len(*sent) != 1 || s.reauths != 0 {
			t.Errorf("got %+v, %v, sent %v", res, err, *sent)
		}
	})
	t.Run("without a Reauthorizer the 401 is returned", func(t *testing.T) {
		s := &source{}
		send, sent := answer(http.StatusUnauthorized)
		res, err := httpapi.Authorized(ctx, plain{s}, "testapi", "GET /x", send)
		if err != nil || res.Status != http.StatusUnauthorized || len(*sent) != 1 || s.plainCalls != 1 {
			t.Errorf("got %+v, %v, sent %v", res, err, *sent)
		}
	})
	t.Run("a failed reauthorization is the error", func(t *testing.T) {
		cause := errors.New("refresh refused")
		s := &source{reauthErr: cause}
		send, _ := answer(http.StatusUnauthorized)
		_, err := httpapi.Authorized(ctx, s, "testapi", "GET /x", send)
		if !errors.Is(err, cause) || err.Error() != "testapi GET /x: re-authorize after 401: refresh refused" {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a token source's failure is the error", func(t *testing.T) {
		cause := errors.New("store down")
		send, sent := answer(http.StatusOK)
		_, err := httpapi.Authorized(ctx, oauth2.ReuseTokenSource(nil, failing{cause}), "testapi", "GET /x", send)
		if !errors.Is(err, cause) || !strings.HasPrefix(err.Error(), "testapi GET /x: get token: ") || len(*sent) != 0 {
			t.Errorf("got %v", err)
		}
	})
	t.Run("no token source", func(t *testing.T) {
		send, sent := answer(http.StatusOK)
		_, err := httpapi.Authorized(ctx, nil, "testapi", "GET /x", send)
		if err == nil || err.Error() != "testapi GET /x: client has no token source (use As)" || len(*sent) != 0 {
			t.Errorf("got %v", err)
		}
	})
}
