package billing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseValid(t *testing.T) {
	want := Event{
		EventID: "evt_1", LocationID: "HjiMUOsCCHCjtxzEf8PR", SubscriptionID: "sub_1", CustomerID: "cus_1",
		PlanID: "plan_pro", Status: StatusActive, OccurredAt: time.Date(2026, 5, 28, 20, 26, 40, 0, time.UTC),
	}
	e, err := Parse([]byte(eventBody))
	require.NoError(t, err)
	assert.Equal(t, want, e)

	t.Run("status optional", func(t *testing.T) {
		for _, body := range []string{
			`{"eventId":"e","locationId":"l","subscriptionId":"s","customerId":"c","planId":"p","occurredAt":"2026-05-28T22:26:40.5+02:00"}`,
			`{"eventId":"e","locationId":"l","subscriptionId":"s","customerId":"c","planId":"p","status":null,"occurredAt":"2026-05-28T22:26:40.5+02:00"}`,
		} {
			e, err := Parse([]byte(body))
			require.NoError(t, err)
			assert.Empty(t, e.Status)
			assert.Equal(t, time.Date(2026, 5, 28, 20, 26, 40, 500_000_000, time.UTC), e.OccurredAt, "normalised to UTC")
		}
	})
	t.Run("every status", func(t *testing.T) {
		for _, st := range Statuses() {
			body := strings.Replace(eventBody, `"active"`, `"`+st+`"`, 1)
			e, err := Parse([]byte(body))
			require.NoError(t, err, st)
			assert.Equal(t, st, e.Status)
		}
		assert.Len(t, Statuses(), 7)
	})
	t.Run("whitespace between tokens is fine", func(t *testing.T) {
		var buf strings.Builder
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(eventBody), &m))
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "\t")
		require.NoError(t, enc.Encode(m))
		e, err := Parse([]byte(buf.String()))
		require.NoError(t, err)
		assert.Equal(t, want, e)
	})
	t.Run("id of exactly MaxIDLen", func(t *testing.T) {
		id := strings.Repeat("x", MaxIDLen)
		e, err := Parse([]byte(strings.Replace(eventBody, "evt_1", id, 1)))
		require.NoError(t, err)
		assert.Equal(t, id, e.EventID)
	})
}

func TestParseMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"empty":          ``,
		"whitespace":     "  \n",
		"not JSON":       `eventId=evt_1`,
		"array":          `[` + eventBody + `]`,
		"string":         `"evt_1"`,
		"number":         `42`,
		"null":           `null`,
		"truncated":      eventBody[:40],
		"trailing data":  eventBody + `{}`,
		"trailing junk":  eventBody + `x`,
		"two objects":    eventBody + "\n" + eventBody,
		"trailing comma": `{"eventId":"e",}`,
		"bad value":      `{"eventId":tru}`,
		"too large":      `{"eventId":"` + strings.Repeat("a", MaxBodyBytes) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(body))
			require.ErrorIs(t, err, ErrMalformed)
			var ve *ValidationError
			assert.False(t, errors.As(err, &ve))
			assert.NotContains(t, err.Error(), "evt_1", "error echoes the body")
			assert.Less(t, len(err.Error()), 120)
		})
	}
}

// body builds an event with overrides; a nil value removes the field.
func body(t *testing.T, override map[string]any) []byte {
	t.Helper()
	m := map[string]any{
		"eventId": "evt_1", "locationId": "loc_1", "subscriptionId": "sub_1", "customerId": "cus_1",
		"planId": "plan_1", "status": "active", "occurredAt": "2026-05-28T20:26:40Z",
	}
	for k, v := range override {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func TestParseInvalid(t *testing.T) {
	long := strings.Repeat("a", MaxIDLen+1)
	tests := []struct {
		name     string
		body     []byte
		want     []FieldError
		noEchoOf string
	}{
		{"eventId missing", body(t, map[string]any{"eventId": nil}), []FieldError{{"eventId", "required"}}, ""},
		{"locationId missing", body(t, map[string]any{"locationId": nil}), []FieldError{{"locationId", "required"}}, ""},
		{"subscriptionId null", body(t, map[string]any{"subscriptionId": json.RawMessage(`null`)}), []FieldError{{"subscriptionId", "required"}}, ""},
		{"customerId missing", body(t, map[string]any{"customerId": nil}), []FieldError{{"customerId", "required"}}, ""},
		{"planId missing", body(t, map[string]any{"planId": nil}), []FieldError{{"planId", "required"}}, ""},
		{"occurredAt missing", body(t, map[string]any{"occurredAt": nil}), []FieldError{{"occurredAt", "required"}}, ""},
		{"eventId empty", body(t, map[string]any{"eventId": ""}), []FieldError{{"eventId", "must not be empty"}}, ""},
		{"eventId a number", body(t, map[string]any{"eventId": 12345}), []FieldError{{"eventId", "must be a string"}}, "12345"},
		{"locationId an object", body(t, map[string]any{"locationId": map[string]string{"id": "x"}}), []FieldError{{"locationId", "must be a string"}}, ""},
		{"planId an array", body(t, map[string]any{"planId": []string{"p"}}), []FieldError{{"planId", "must be a string"}}, ""},
		{"customerId a bool", body(t, map[string]any{"customerId": true}), []FieldError{{"customerId", "must be a string"}}, ""},
		{"locationId with a space", body(t, map[string]any{"locationId": "loc 1"}), []FieldError{{"locationId", "must not contain whitespace, control or invisible characters"}}, "loc 1"},
		{"locationId with trailing newline", body(t, map[string]any{"locationId": "loc_1\n"}), []FieldError{{"locationId", "must not contain whitespace, control or invisible characters"}}, ""},
		{"subscriptionId with NUL", body(t, map[string]any{"subscriptionId": "sub\x00"}), []FieldError{{"subscriptionId", "must not contain whitespace, control or invisible characters"}}, ""},
		{"planId with no-break space", body(t, map[string]any{"planId": "plan\u00a01"}), []FieldError{{"planId", "must not contain whitespace, control or invisible characters"}}, ""},
		{"customerId with zero-width space", body(t, map[string]any{"customerId": "cus\u200b1"}), []FieldError{{"customerId", "must not contain whitespace, control or invisible characters"}}, ""},
		{"eventId too long", body(t, map[string]any{"eventId": long}), []FieldError{{"eventId", "longer than 128 bytes"}}, long},
		{"status unknown", body(t, map[string]any{"status": "Active"}), []FieldError{{"status", "must be one of active, trialing, past_due, paused, canceled, unpaid, incomplete"}}, "Active"},
		{"status empty", body(t, map[string]any{"status": ""}), []FieldError{{"status", "must be one of active, trialing, past_due, paused, canceled, unpaid, incomplete"}}, ""},
		{"status a number", body(t, map[string]any{"status": 1}), []FieldError{{"status", "must be a string"}}, ""},
		{"occurredAt not a time", body(t, map[string]any{"occurredAt": "last tuesday"}), []FieldError{{"occurredAt", "must be an RFC 3339 time"}}, "tuesday"},
		{"occurredAt date only", body(t, map[string]any{"occurredAt": "2026-05-28"}), []FieldError{{"occurredAt", "must be an RFC 3339 time"}}, ""},
		{"occurredAt without zone", body(t, map[string]any{"occurredAt": "2026-05-28T20:26:40"}), []FieldError{{"occurredAt", "must be an RFC 3339 time"}}, ""},
		{"occurredAt unix seconds", body(t, map[string]any{"occurredAt": 1780000000}), []FieldError{{"occurredAt", "must be a string"}}, "1780000000"},
		{"unknown field", body(t, map[string]any{"amount": 10}), []FieldError{{"amount", "unknown field"}}, ""},
		{"field name case matters", []byte(`{"eventid":"e","eventId":"e","locationId":"l","subscriptionId":"s","customerId":"c","planId":"p","occurredAt":"2026-05-28T20:26:40Z"}`),
			[]FieldError{{"eventid", "unknown field"}}, ""},
		{"odd unknown field name is quoted", []byte(`{"eventId":"e","locationId":"l","subscriptionId":"s","customerId":"c","planId":"p","occurredAt":"2026-05-28T20:26:40Z","a b\n":1}`),
			[]FieldError{{`"a b\n"`, "unknown field"}}, ""},
		{"long unknown field name is cut", []byte(`{"eventId":"e","locationId":"l","subscriptionId":"s","customerId":"c","planId":"p","occurredAt":"2026-05-28T20:26:40Z","` + strings.Repeat("z", 200) + `":1}`),
			[]FieldError{{strings.Repeat("z", 64) + "…", "unknown field"}}, ""},
		{"duplicate field", []byte(`{"eventId":"e","eventId":"f","locationId":"l","subscriptionId":"s","customerId":"c","planId":"p","occurredAt":"2026-05-28T20:26:40Z"}`),
			[]FieldError{{"eventId", "appears more than once"}}, ""},
		{"empty object lists every required field", []byte(`{}`), []FieldError{
			{"eventId", "required"}, {"locationId", "required"}, {"subscriptionId", "required"},
			{"customerId", "required"}, {"planId", "required"}, {"occurredAt", "required"},
		}, ""},
		{"everything wrong at once", []byte(`{"eventId":" e","locationId":7,"subscriptionId":"","planId":"p","status":"gone","occurredAt":"soon","extra":true,"more":null}`), []FieldError{
			{"eventId", "must not contain whitespace, control or invisible characters"},
			{"locationId", "must be a string"},
			{"subscriptionId", "must not be empty"},
			{"customerId", "required"},
			{"status", "must be one of active, trialing, past_due, paused, canceled, unpaid, incomplete"},
			{"occurredAt", "must be an RFC 3339 time"},
			{"extra", "unknown field"},
			{"more", "unknown field"},
		}, "gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.body)
			assert.Equal(t, Event{}, e)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.False(t, errors.Is(err, ErrMalformed))
			assert.Equal(t, tt.want, ve.Fields)
			if tt.noEchoOf != "" {
				assert.NotContains(t, err.Error(), tt.noEchoOf)
				j, _ := json.Marshal(ve)
				assert.NotContains(t, string(j), tt.noEchoOf)
			}
		})
	}
}

func TestValidationErrorFormats(t *testing.T) {
	_, err := Parse([]byte(`{"eventId":"e","locationId":"l","subscriptionId":"s","customerId":"c","occurredAt":"x","foo":1}`))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "billing: invalid event: planId: required; occurredAt: must be an RFC 3339 time; foo: unknown field", err.Error())
	j, err := json.Marshal(ve)
	require.NoError(t, err)
	assert.JSONEq(t, `{"fields":[{"field":"planId","message":"required"},{"field":"occurredAt","message":"must be an RFC 3339 time"},{"field":"foo","message":"unknown field"}]}`, string(j))
}
