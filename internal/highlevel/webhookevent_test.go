package highlevel

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseWebhookSamples(t *testing.T) {
	tests := []struct {
		name string
		body string
		want WebhookEvent
		loc  string
	}{
		{"INSTALL location (official sample)", installBody, WebhookEvent{
			Type: EventInstall, WebhookID: "1a533f85-1f1e-4886-891e-ee0cf4666e90",
			Timestamp: time.Date(2025, 6, 25, 6, 57, 6, 225_000_000, time.UTC),
			AppID:     "665c6bb13d4e5364bdec0e2f", VersionID: "665c6bb13d4e5364bdec0e2f", InstallType: "Location",
			LocationID: "HjiMUOsCCHCjtxzEf8PR", CompanyID: "GNb7aIv4rQFVb9iwNl5K", UserID: "Rg6BRRiHh7dS9gJy3W8a",
			CompanyName: "Marketplace and Integrations Prod Agency", IsWhitelabelCompany: true,
			WhitelabelDetails: &WhitelabelDetails{Domain: "rajender.dentistsnear.me", LogoURL: "https://example.com/logo.gif"},
		}, "HjiMUOsCCHCjtxzEf8PR"},
		{"INSTALL agency", `{"type":"INSTALL","appId":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w","planId":"66a0419a0dffa47fb5f8b22f","trial":{"onTrial":true,"trialDuration":10,"trialStartDate":"2024-07-23T23:54:51.264Z"}}`, WebhookEvent{
			Type: EventInstall, AppID: "ve9EPM428h8vShlRW1KT", CompanyID: "otg8dTQqGLh3Q6iQI55w", PlanID: "66a0419a0dffa47fb5f8b22f",
			Trial: &WebhookTrial{OnTrial: true, TrialDuration: 10, TrialStartDate: time.Date(2024, 7, 23, 23, 54, 51, 264_000_000, time.UTC)},
		}, ""},
		{"INSTALL bulk", `{"type":"INSTALL","appId":"a","companyId":"c","locationId":"l","isBulkInstallation":true,"timestamp":"2025-06-25T08:57:06+02:00","webhookId":"w"}`, WebhookEvent{
			Type: EventInstall, AppID: "a", CompanyID: "c", LocationID: "l", IsBulkInstallation: true,
			Timestamp: time.Date(2025, 6, 25, 6, 57, 6, 0, time.UTC), WebhookID: "w",
		}, "l"},
		{"UNINSTALL location", `{"type":"UNINSTALL","appId":"ve9EPM428h8vShlRW1KT","locationId":"otg8dTQqGLh3Q6iQI55w"}`, WebhookEvent{
			Type: EventUninstall, AppID: "ve9EPM428h8vShlRW1KT", LocationID: "otg8dTQqGLh3Q6iQI55w",
		}, "otg8dTQqGLh3Q6iQI55w"},
		{"UNINSTALL agency", `{"type":"UNINSTALL","appId":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w"}`, WebhookEvent{
			Type: EventUninstall, AppID: "ve9EPM428h8vShlRW1KT", CompanyID: "otg8dTQqGLh3Q6iQI55w",
		}, ""},
		{"LocationCreate", `{"type":"LocationCreate","id":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w","name":"Loram ipsum","email":"mailer@example.com","stripeProductId":"prod_xyz123abc"}`, WebhookEvent{
			Type: EventLocationCreate, ID: "ve9EPM428h8vShlRW1KT", CompanyID: "otg8dTQqGLh3Q6iQI55w",
			Name: "Loram ipsum", Email: "mailer@example.com", StripeProductID: "prod_xyz123abc",
		}, "ve9EPM428h8vShlRW1KT"},
		{"LocationUpdate", `{"type":"LocationUpdate","id":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w","name":"Loram ipsum","email":"mailer@example.com","stripeProductId":"prod_xyz123abc","timestamp":"2025-06-25T06:57:06.225Z","webhookId":"9d2c"}`, WebhookEvent{
			Type: EventLocationUpdate, ID: "ve9EPM428h8vShlRW1KT", CompanyID: "otg8dTQqGLh3Q6iQI55w",
			Name: "Loram ipsum", Email: "mailer@example.com", StripeProductID: "prod_xyz123abc",
			Timestamp: time.Date(2025, 6, 25, 6, 57, 6, 225_000_000, time.UTC), WebhookID: "9d2c",
		}, "ve9EPM428h8vShlRW1KT"},
		{"PLAN_CHANGE", `{"type":"PLAN_CHANGE","appId":"ve9EPM428h8vShlRW1KT","locationId":"otg8dTQqGLh3Q6iQI55w","companyId":"otg8dTQqGLh3Q6iQI55w","userId":"otg8dTQqGLh3Q6iQI55w","currentPlanId":"66a0419a0dffa47fb5f8b22f","newPlanId":"66a0419a0dffa47fb5f8b230"}`, WebhookEvent{
			Type: EventPlanChange, AppID: "ve9EPM428h8vShlRW1KT", LocationID: "otg8dTQqGLh3Q6iQI55w", CompanyID: "otg8dTQqGLh3Q6iQI55w",
			UserID: "otg8dTQqGLh3Q6iQI55w", CurrentPlanID: "66a0419a0dffa47fb5f8b22f", NewPlanID: "66a0419a0dffa47fb5f8b230",
		}, "otg8dTQqGLh3Q6iQI55w"},
		{"unknown type and fields are kept", `{"type":"ContactCreate","locationId":"l1","contact":{"x":[1,2]},"future":true}`, WebhookEvent{
			Type: "ContactCreate", LocationID: "l1",
		}, "l1"},
		{"null fields read as absent", `{"type":"UNINSTALL","locationId":"l1","timestamp":null,"trial":null,"companyId":null}`, WebhookEvent{
			Type: EventUninstall, LocationID: "l1",
		}, "l1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseWebhook([]byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.want, e)
			assert.Equal(t, tt.loc, e.Location())
		})
	}
}

func TestParseWebhookErrors(t *testing.T) {
	long := strings.Repeat("x", maxIDLen+1)
	tests := []struct {
		name, body string
		want       string // substring of the reason
		secret     string // must not appear in the error
	}{
		{"empty", ``, "invalid JSON", ""},
		{"not JSON", `type=INSTALL`, "invalid JSON at byte", ""},
		{"truncated", `{"type":"INSTALL","locationId":"l`, "invalid JSON", ""},
		{"trailing data", `{"type":"INSTALL","locationId":"l"} {}`, "invalid JSON", ""},
		{"array", `[{"type":"INSTALL"}]`, "JSON array, want an object", ""},
		{"string", `"INSTALL"`, "JSON string, want an object", ""},
		{"null", `null`, "type missing", ""},
		{"type missing", `{"locationId":"l"}`, "type missing", ""},
		{"type empty", `{"type":"","locationId":"l"}`, "type missing", ""},
		{"type not a string", `{"type":7,"locationId":"l"}`, "type is a JSON number, want a string", ""},
		{"type with a newline", `{"type":"INSTALL\nX","locationId":"l"}`, "type contains whitespace", ""},
		{"locationId not a string", `{"type":"INSTALL","locationId":12345678}`, "locationId is a JSON number, want a string", "12345678"},
		{"locationId with a space", `{"type":"INSTALL","locationId":"abc def"}`, "locationId contains whitespace", "abc def"},
		{"locationId with zero-width space", `{"type":"INSTALL","locationId":"abc\u200bdef"}`, "locationId contains whitespace, control or invisible", ""},
		{"locationId too long", `{"type":"INSTALL","locationId":"` + long + `"}`, "locationId is longer than 128 bytes", long},
		{"companyId invalid UTF-8", "{\"type\":\"UNINSTALL\",\"companyId\":\"a\xffb\"}", "companyId contains", ""},
		{"id with a tab", `{"type":"LocationUpdate","id":"a\tb"}`, "id contains whitespace", ""},
		{"webhookId not a string", `{"type":"INSTALL","locationId":"l","webhookId":{"a":1}}`, "webhookId is a JSON object, want a string", ""},
		{"INSTALL without ids", `{"type":"INSTALL","appId":"a"}`, "INSTALL has neither locationId nor companyId", ""},
		{"UNINSTALL without ids", `{"type":"UNINSTALL","appId":"a"}`, "UNINSTALL has neither locationId nor companyId", ""},
		{"LocationCreate with locationId but no id", `{"type":"LocationCreate","locationId":"l"}`, "LocationCreate has no id", ""},
		{"LocationUpdate without id", `{"type":"LocationUpdate","companyId":"c"}`, "LocationUpdate has no id", ""},
		{"timestamp not a time", `{"type":"INSTALL","locationId":"l","timestamp":"yesterday at noon"}`, "timestamp is not an RFC 3339 time", "yesterday"},
		{"timestamp a number", `{"type":"INSTALL","locationId":"l","timestamp":1750834626225}`, "timestamp is a JSON number, want a string", "1750834626225"},
		{"timestamp without zone", `{"type":"INSTALL","locationId":"l","timestamp":"2025-06-25T06:57:06"}`, "timestamp is not an RFC 3339 time", ""},
		{"isBulkInstallation a string", `{"type":"INSTALL","locationId":"l","isBulkInstallation":"yes"}`, "isBulkInstallation is a JSON string, want a boolean", ""},
		{"trial.onTrial a string", `{"type":"INSTALL","companyId":"c","trial":{"onTrial":"true"}}`, "trial.onTrial is a JSON string, want a boolean", ""},
		{"trial.trialDuration negative", `{"type":"INSTALL","companyId":"c","trial":{"trialDuration":-1}}`, "trial.trialDuration is out of range", ""},
		{"trial.trialDuration a string", `{"type":"INSTALL","companyId":"c","trial":{"trialDuration":"ten"}}`, "trial.trialDuration is a JSON string, want a number", "ten"},
		{"trial.trialStartDate bad", `{"type":"INSTALL","companyId":"c","trial":{"trialStartDate":"someday"}}`, "trial.trialStartDate is not an RFC 3339 time", "someday"},
		{"whitelabelDetails a string", `{"type":"INSTALL","companyId":"c","whitelabelDetails":"x"}`, "whitelabelDetails is a JSON string, want an object", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseWebhook([]byte(tt.body))
			require.ErrorIs(t, err, ErrMalformed)
			assert.Equal(t, WebhookEvent{}, e)
			assert.Contains(t, err.Error(), tt.want)
			if tt.secret != "" {
				assert.NotContains(t, err.Error(), tt.secret, "error echoes the value")
			}
		})
	}
}
