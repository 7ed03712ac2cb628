package simkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// AdminClient is what the simulators' admin clients share: JSON requests
// to the admin API and playing the user on the consent page.
type AdminClient struct {
	BaseURL string       // e.g. "http://127.0.0.1:8081"
	HTTP    *http.Client // default http.DefaultClient
	// Name starts the client's own error messages, e.g. "highlevel sandbox".
	Name string
}

func (c AdminClient) newError(status int, message string) error {
	return &AdminError{Name: c.Name, StatusCode: status, Message: message}
}

func (c AdminClient) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Do sends in (when non-nil) as JSON and decodes the reply into out (when
// non-nil). A non-2xx reply is an *AdminError with the message of its
// {"message":…} body, else the body's text.
func (c AdminClient) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var eb struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &eb) != nil || eb.Message == "" {
			eb.Message = strings.TrimSpace(string(b))
		}
		return c.newError(resp.StatusCode, eb.Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Fetch is Do decoding the reply as a T.
func Fetch[T any](ctx context.Context, c AdminClient, method, path string, in any) (T, error) {
	var out T
	err := c.Do(ctx, method, path, in, &out)
	return out, err
}

// Authorize plays the user on the consent page at path: it POSTs form (the
// authorization request plus the simulator's choice of account) and
// returns the code and state of the redirect, without following it.
func (c AdminClient) Authorize(ctx context.Context, path string, form url.Values) (code, state string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.BaseURL, "/")+path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noRedirect := *c.client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusSeeOther {
		return "", "", c.newError(resp.StatusCode, strings.TrimSpace(string(b)))
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return "", "", err
	}
	code = loc.Query().Get("code")
	if code == "" {
		return "", "", errors.New(c.Name + ": consent redirect carries no code")
	}
	return code, loc.Query().Get("state"), nil
}

// The admin endpoints every simulator has (adminroutes.go serves them).

// Healthz succeeds once the simulator serves requests.
func (c AdminClient) Healthz(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, pathHealthz, nil, nil)
}

// FetchFaults returns the fault configuration F.
func FetchFaults[F any](ctx context.Context, c AdminClient) (F, error) {
	return Fetch[F](ctx, c, http.MethodGet, pathFaults, nil)
}

// PutFaults replaces the fault configuration and returns it normalised.
func PutFaults[F any](ctx context.Context, c AdminClient, f F) (F, error) {
	return Fetch[F](ctx, c, http.MethodPut, pathFaults, f)
}

// ClearFaults turns all fault injection off.
func (c AdminClient) ClearFaults(ctx context.Context) error {
	return c.Do(ctx, http.MethodDelete, pathFaults, nil, nil)
}

// AddFaultRule appends a scripted failure, the simulator's rule.
func (c AdminClient) AddFaultRule(ctx context.Context, rule any) error {
	return c.Do(ctx, http.MethodPost, pathFaultRules, rule, nil)
}

// FetchRateLimit returns the rate limit L.
func FetchRateLimit[L any](ctx context.Context, c AdminClient) (L, error) {
	return Fetch[L](ctx, c, http.MethodGet, pathRateLimit, nil)
}

// PutRateLimit replaces the rate limit, clears usage and returns the limit
// with its defaults.
func PutRateLimit[L any](ctx context.Context, c AdminClient, l L) (L, error) {
	return Fetch[L](ctx, c, http.MethodPut, pathRateLimit, l)
}

// ExpireTokens expires the live tokens matching the filter and returns
// the simulator's answer E.
func ExpireTokens[E any](ctx context.Context, c AdminClient, filter any) (E, error) {
	return Fetch[E](ctx, c, http.MethodPost, pathExpireTokens, filter)
}

// Tokens returns every token string issued so far.
func (c AdminClient) Tokens(ctx context.Context) (IssuedTokens, error) {
	return Fetch[IssuedTokens](ctx, c, http.MethodGet, pathTokens, nil)
}

// Calls returns the call report.
func (c AdminClient) Calls(ctx context.Context) (CallReport, error) {
	return Fetch[CallReport](ctx, c, http.MethodGet, pathCalls, nil)
}

// ResetCalls clears the call report.
func (c AdminClient) ResetCalls(ctx context.Context) error {
	return c.Do(ctx, http.MethodDelete, pathCalls, nil, nil)
}
