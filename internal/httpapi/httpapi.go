// Package httpapi is the plumbing the typed API clients (highlevel, actionstep) share:
// sending a request and reading its bounded answer, reporting each call to an observer,
// authorizing with a token source that can replace a rejected token, reading Retry-After,
// and the errors that mean the same for every API (TransportError, DecodeError). What is
// particular to one API (its error bodies, endpoints and where a request goes) stays in
// its client.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Call describes one finished request for observers.
type Call struct {
	Endpoint   string // template, e.g. "GET /participants/{id}"
	StatusCode int    // 0 when the request failed in transport
	Duration   time.Duration
	// Context is the request's: an observer that files calls by who made them (the
	// audit trail, by the activity's workflow) reads it. Observers must not keep it.
	Context context.Context
}

// Response is a fully read answer; its body has been closed.
type Response struct {
	Status int
	Header http.Header
	Body   []byte // at most the limit given to Do
	// Truncated reports that the body was longer than the limit and was cut off.
	Truncated bool
}

// Do sends req with hc and reads at most limit bytes of the answer's body, so that a
// misbehaving proxy cannot exhaust a worker's memory. api and endpoint (a template such
// as "PUT /participants/{id}") name the call in errors; the URL never appears, since it
// holds ids and queries.
//
// observe, when not nil, sees every call's outcome, with the answer's header (nil when
// there was no answer). A request without an answer, or whose body could not be read,
// is a *TransportError.
func Do(hc *http.Client, req *http.Request, api, endpoint string, limit int64, observe func(Call, http.Header)) (Response, error) {
	report := func(status int, header http.Header, d time.Duration) {
		if observe != nil {
			observe(Call{Endpoint: endpoint, StatusCode: status, Duration: d, Context: req.Context()}, header)
		}
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		report(0, nil, time.Since(start))
		// Drop the *url.Error wrapper, which quotes the whole URL: the endpoint template
		// and the cause are enough.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return Response{}, &TransportError{API: api, Endpoint: endpoint, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	report(resp.StatusCode, resp.Header, time.Since(start))
	if err != nil {
		return Response{}, &TransportError{API: api, Endpoint: endpoint, Err: fmt.Errorf("read body: %w", err)}
	}
	res := Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if int64(len(b)) > limit {
		res.Body, res.Truncated = b[:limit], true
	}
	return res, nil
}

// Tee returns an observer that passes each call to every one of fs, in order (metrics
// and the audit trail watch the same calls).
func Tee[C any](fs ...func(C)) func(C) {
	return func(c C) {
		for _, f := range fs {
			f(c)
		}
	}
}
