package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/httpapi"
)

// recordingPacer admits requests unless told to refuse, and records the answers.
type recordingPacer struct {
	refuse  error
	waits   int
	answers []answer
}

type answer struct {
	status     int
	retryAfter time.Duration
}

func (p *recordingPacer) Wait(context.Context) (time.Time, error) {
	p.waits++
	return time.Now(), p.refuse
}

func (p *recordingPacer) Done(_ context.Context, _ time.Time, status int, retryAfter time.Duration) {
	p.answers = append(p.answers, answer{status, retryAfter})
}

// statuses answers a send with each status in turn (0: a transport error).
func statuses(codes ...int) (func() (httpapi.Response, error), *int) {
	sent := 0
	return func() (httpapi.Response, error) {
		code := codes[min(sent, len(codes)-1)]
		sent++
		if code == 0 {
			return httpapi.Response{}, errors.New("connection reset")
		}
		h := http.Header{}
		if code == http.StatusTooManyRequests {
			h.Set("Retry-After", "3")
		}
		return httpapi.Response{Status: code, Header: h}, nil
	}, &sent
}

func TestPacedSendsAgainAfterA429(t *testing.T) {
	for name, tc := range map[string]struct {
		codes     []int
		sends     int
		final     int
		answers   []answer
		transport bool
	}{
		"ok at once":                      {codes: []int{200}, sends: 1, final: 200, answers: []answer{{200, 0}}},
		"429 then ok":                     {codes: []int{429, 429, 201}, sends: 3, final: 201, answers: []answer{{429, 3 * time.Second}, {429, 3 * time.Second}, {201, 0}}},
		"429 until it gives up":           {codes: []int{429}, sends: 4, final: 429},
		"other errors are not sent again": {codes: []int{503}, sends: 1, final: 503, answers: []answer{{503, 0}}},
		"no answer":                       {codes: []int{0}, sends: 1, transport: true, answers: []answer{{0, 0}}},
	} {
		t.Run(name, func(t *testing.T) {
			p := &recordingPacer{}
			send, sent := statuses(tc.codes...)
			res, err := httpapi.Paced(t.Context(), p, send)
			assert.Equal(t, tc.sends, *sent)
			assert.Equal(t, tc.sends, p.waits, "every send waits for the pacer")
			if tc.transport {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.final, res.Status)
			}
			if tc.answers != nil {
				assert.Equal(t, tc.answers, p.answers)
			}
		})
	}
}

func TestPacedSendsNothingThePacerHoldsBack(t *testing.T) {
	held := errors.New("held back")
	p := &recordingPacer{refuse: held}
	send, sent := statuses(200)
	_, err := httpapi.Paced(t.Context(), p, send)
	require.ErrorIs(t, err, held)
	assert.Zero(t, *sent)
	assert.Empty(t, p.answers)

	// Without a pacer, a request is just sent.
	res, err := httpapi.Paced(t.Context(), nil, send)
	require.NoError(t, err)
	assert.Equal(t, 200, res.Status)
}
