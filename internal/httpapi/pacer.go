package httpapi

import (
	"context"
	"net/http"
	"time"
)

// Pacer spaces a client's requests to what the API allows (internal/pacing keeps the
// fleet's budgets). Wait returns once a request may be sent, or an error when it may
// not be sent now; the time it returns identifies the request to Done, which is told
// the answer's status (0: none) and, for a 429, its Retry-After.
type Pacer interface {
	Wait(ctx context.Context) (time.Time, error)
	Done(ctx context.Context, sent time.Time, status int, retryAfter time.Duration)
}

// maxPacedResends bounds how often one call is sent again after a 429.
const maxPacedResends = 3

// maxPacedRetryAfter caps the Retry-After a pacer is told.
const maxPacedRetryAfter = 10 * time.Minute

// Paced sends with p's pacing: each attempt waits for p, and a 429 (which the API did
// not apply, so any request may be sent again) is sent again once p allows it, up to
// maxPacedResends times. With p nil it just sends.
func Paced(ctx context.Context, p Pacer, send func() (Response, error)) (Response, error) {
	if p == nil {
		return send()
	}
	for attempt := 0; ; attempt++ {
		sent, err := p.Wait(ctx)
		if err != nil {
			return Response{}, err
		}
		res, err := send()
		status := res.Status
		if err != nil {
			status = 0
		}
		p.Done(ctx, sent, status, RetryAfter(res.Header, time.Now(), maxPacedRetryAfter))
		if err != nil || res.Status != http.StatusTooManyRequests || attempt == maxPacedResends {
			return res, err
		}
	}
}
