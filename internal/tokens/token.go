package tokens

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Token is one OAuth credential. AccessToken, RefreshToken and Secrets are secret: they are
// stored encrypted and never printed (see Format). Everything else is plain metadata.
type Token struct {
	AccessToken  string
	RefreshToken string
	// TokenType is the scheme from the token response ("Bearer", Actionstep's "bearer").
	TokenType string
	// Expiry is when AccessToken lapses; the zero time means it never does.
	Expiry time.Time
	// Attrs are non-secret attributes that came with the token: companyId, locationId,
	// userType, scope, api_endpoint, orgkey… They are stored in clear so they can be listed.
	Attrs map[string]string
	// Secrets are further secret values from a token response, encrypted like the tokens.
	Secrets map[string]string
}

// Info is the non-secret view of a stored credential.
type Info struct {
	Key          string
	Kind         Kind
	Status       Status
	StatusReason string
	Expiry       time.Time
	Attrs        map[string]string
	// Version increases with every write to the credential, so audit logs can tell rotations apart.
	Version   int64
	UpdatedAt time.Time
}

// Status says whether a credential can be used.
type Status string

const (
	// StatusActive is a usable credential.
	StatusActive Status = "active"
	// StatusSuspended is a credential the provider refuses for now (HighLevel "Location is not
	// active"). Its refresh token is kept: it works again once the account is active.
	StatusSuspended Status = "suspended"
	// StatusReconnectNeeded is a credential whose refresh token was rejected; only a new
	// authorization (OAuth connect, or minting a new location token) brings it back.
	StatusReconnectNeeded Status = "reconnect_needed"
)

func (s Status) valid() bool {
	return s == StatusActive || s == StatusSuspended || s == StatusReconnectNeeded
}

// Kind is the type of a credential: the part of its key before the last slash.
type Kind string

// The kinds of credential the Key helpers build.
const (
	KindHighLevelAgency   Kind = "highlevel/agency"
	KindHighLevelLocation Kind = "highlevel/location"
	KindActionstep        Kind = "actionstep"
)

// KeyHighLevelAgency is the key of the agency (userType Company) token of a HighLevel company.
func KeyHighLevelAgency(companyID string) string {
	return string(KindHighLevelAgency) + "/" + companyID
}

// KeyHighLevelLocation is the key of the location token of a HighLevel sub-account.
func KeyHighLevelLocation(locationID string) string {
	return string(KindHighLevelLocation) + "/" + locationID
}

// KeyActionstep is the key of the Actionstep token of an organisation (the orgkey of its token
// response).
func KeyActionstep(orgKey string) string { return string(KindActionstep) + "/" + orgKey }

// parseKey checks that key has the "<kind>/<id>" shape the Key helpers build and returns its kind.
func parseKey(key string) (Kind, error) {
	i := strings.LastIndexByte(key, '/')
	if i <= 0 || i == len(key)-1 || strings.ContainsFunc(key, func(r rune) bool { return r < ' ' }) {
		return "", errors.New("invalid credential key: want <kind>/<id>, as built by the Key helpers")
	}
	return Kind(key[:i]), nil
}

// fresh reports whether the access token is valid for at least skew more.
func (t Token) fresh(now time.Time, skew time.Duration) bool {
	return t.AccessToken != "" && (t.Expiry.IsZero() || now.Add(skew).Before(t.Expiry))
}

// String describes the token without its secrets, so a token that ends up in a log line or an
// error (zap uses String for fmt.Stringer values) leaks nothing.
func (t Token) String() string {
	return fmt.Sprintf("Token{type=%s expiry=%s access=%s refresh=%s attrs=%v secrets=%v}",
		t.TokenType, t.Expiry.UTC().Format(time.RFC3339), redacted(t.AccessToken),
		redacted(t.RefreshToken), t.Attrs, slices.Sorted(maps.Keys(t.Secrets)))
}

// Format makes every fmt verb, %#v and %+v included, print String's redacted form.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, "tokens.")
	}
	_, _ = io.WriteString(f, t.String())
}

// MarshalJSON refuses: a Token must never travel as JSON (a Temporal payload, a log field, an
// API response). The store persists tokens with its own encoding.
func (Token) MarshalJSON() ([]byte, error) {
	return nil, errors.New("tokens: a Token must not be serialized; pass its credential key instead")
}

func redacted(s string) string {
	if s == "" {
		return "<none>"
	}
	return "<redacted>"
}
