package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var fuzzSignedBodies = []string{
	eventBody,
	`{"eventId":"e","locationId":"l","subscriptionId":"s","customerId":"c","planId":"p","occurredAt":"2026-05-28T20:26:40Z"}`,
	``,
	`{}`,
}

// FuzzVerify: Verify never panics and accepts only the (timestamp, body) pairs that were
// signed with a configured secret, whatever header it is shown.
func FuzzVerify(f *testing.F) {
	secrets := [][]byte{secretOld, secretNew}
	signed := map[string]bool{}
	for i, b := range fuzzSignedBodies {
		signed[b] = true
		h := Sign(secrets[i%2], []byte(b), sigNow)
		f.Add(h, []byte(b), int64(0))
		f.Add(h+",v1="+hmacHex(secretBad, sigNow.Unix(), b), []byte(b), int64(30))
		f.Add(h, []byte(b+" "), int64(0))
		f.Add(h, []byte(b), int64(3600))
		f.Add("t=1780000000,v1=00", []byte(b), int64(0))
	}
	f.Fuzz(func(t *testing.T, header string, body []byte, skew int64) {
		now := sigNow.Add(time.Duration(skew%100_000) * time.Second)
		err := Verify(secrets, header, body, now, time.Minute)
		switch {
		case err == nil:
			if !signed[string(body)] {
				t.Fatal("accepted an unsigned body")
			}
			if d := now.Sub(sigNow); d > time.Minute || d < -time.Minute {
				t.Fatal("accepted outside the window")
			}
		case errors.Is(err, ErrStale):
			if !signed[string(body)] {
				t.Fatal("a forged request was reported stale, not invalid")
			}
		case !errors.Is(err, ErrSignatureMissing) && !errors.Is(err, ErrSignatureInvalid):
			t.Fatalf("unclassified error %v", err)
		}
	})
}

// FuzzVerifyTamper: a signed body verifies; a flipped, appended or truncated one never.
func FuzzVerifyTamper(f *testing.F) {
	for _, b := range fuzzSignedBodies {
		f.Add([]byte(b), uint(0), byte(1), uint8(0))
		f.Add([]byte(b), uint(5), byte(' '), uint8(1))
		f.Add([]byte(b), uint(9), byte(0), uint8(2))
	}
	secrets := [][]byte{secretOld, secretNew}
	f.Fuzz(func(t *testing.T, body []byte, pos uint, flip byte, mode uint8) {
		h := Sign(secretNew, body, sigNow)
		if err := Verify(secrets, h, body, sigNow, time.Minute); err != nil {
			t.Fatalf("signed body rejected: %v", err)
		}
		tampered := bytes.Clone(body)
		switch mode % 3 {
		case 0:
			if len(body) == 0 {
				return
			}
			if flip == 0 {
				flip = 1
			}
			tampered[pos%uint(len(body))] ^= flip
		case 1:
			tampered = append(tampered, flip)
		case 2:
			if len(body) == 0 {
				return
			}
			tampered = tampered[:pos%uint(len(body))]
		}
		if err := Verify(secrets, h, tampered, sigNow, time.Minute); !errors.Is(err, ErrSignatureInvalid) {
			t.Fatalf("tampered body: %v", err)
		}
	})
}

// FuzzParse: Parse never panics; an accepted event is valid and survives a JSON round
// trip; a rejected one is ErrMalformed or a non-empty *ValidationError.
func FuzzParse(f *testing.F) {
	for _, b := range []string{
		eventBody,
		`{"eventId":"e","locationId":"l","subscriptionId":"s","customerId":"c","planId":"p","status":null,"occurredAt":"2026-05-28T22:26:40.123456789+02:00"}`,
		`{"eventId":"e","eventId":"e"}`,
		`{"eventId":" e","locationId":7,"status":"gone","occurredAt":"soon","extra":true}`,
		`{}`, `[]`, `null`, `{"a":{"b":[1,2,{"c":null}]}}`, `{"eventId":"\u00e9\u200b"}`,
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := Parse(body)
		if err != nil {
			var ve *ValidationError
			switch {
			case errors.As(err, &ve):
				if len(ve.Fields) == 0 {
					t.Fatal("empty ValidationError")
				}
				for _, fe := range ve.Fields {
					if fe.Field == "" || fe.Message == "" || len(fe.Field) > 200 {
						t.Fatalf("bad field error %+v", fe)
					}
				}
			case errors.Is(err, ErrMalformed):
			default:
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		for _, id := range []string{e.EventID, e.LocationID, e.SubscriptionID, e.CustomerID, e.PlanID} {
			if CheckID(id) != "" {
				t.Fatalf("accepted bad id %q", id)
			}
		}
		if e.Status != "" && checkStatus(e.Status) != "" {
			t.Fatalf("accepted status %q", e.Status)
		}
		if e.OccurredAt.IsZero() && !bytes.Contains(body, []byte("0001-01-01")) {
			t.Fatal("accepted without occurredAt")
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		e2, err := Parse(again)
		if err != nil {
			t.Fatalf("round trip rejected: %v", err)
		}
		if e2 != e {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", e, e2)
		}
	})
}
