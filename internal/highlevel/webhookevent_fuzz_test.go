package highlevel

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseWebhook: ParseWebhook never panics; what it accepts is well formed and
// survives a JSON round trip unchanged; what it rejects is ErrMalformed.
func FuzzParseWebhook(f *testing.F) {
	for _, b := range []string{
		installBody,
		`{"type":"INSTALL","appId":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w","planId":"66a0419a0dffa47fb5f8b22f","trial":{"onTrial":true,"trialDuration":10,"trialStartDate":"2024-07-23T23:54:51.264Z"}}`,
		`{"type":"UNINSTALL","appId":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w"}`,
		`{"type":"LocationCreate","id":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w","name":"Loram ipsum","email":"mailer@example.com","stripeProductId":"prod_xyz123abc"}`,
		`{"type":"PLAN_CHANGE","currentPlanId":"a","newPlanId":"b"}`,
		`{"type":"X","timestamp":"2025-06-25T06:57:06.225+05:30"}`,
		`{"type":"INSTALL","locationId":"l","trial":{"trialDuration":2.5}}`,
		`[]`, `null`, `{"type":7}`, `{"type":"INSTALL","locationId":"a b"}`,
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := ParseWebhook(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error is not ErrMalformed: %v", err)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error too long (%d bytes)", len(err.Error()))
			}
			return
		}
		if e.Type == "" {
			t.Fatal("accepted without a type")
		}
		for _, id := range []string{e.Type, e.WebhookID, e.LocationID, e.CompanyID, e.ID, e.AppID, e.UserID} {
			if checkID(id) != "" {
				t.Fatalf("accepted a bad id %q", id)
			}
		}
		switch e.Type {
		case EventInstall, EventUninstall:
			if e.LocationID == "" && e.CompanyID == "" {
				t.Fatal("accepted an install event without ids")
			}
		case EventLocationCreate, EventLocationUpdate:
			if e.Location() != e.ID || e.ID == "" {
				t.Fatal("Location() is not id for a Location* event")
			}
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		e2, err := ParseWebhook(again)
		if err != nil {
			t.Fatalf("round trip rejected: %v", err)
		}
		if !webhookEventsEqual(e, e2) {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", e, e2)
		}
	})
}

func webhookEventsEqual(a, b WebhookEvent) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb) && a.Timestamp.Equal(b.Timestamp)
}
