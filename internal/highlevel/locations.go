package highlevel

import (
	"context"
	"net/http"
	"net/url"
)

// EndpointGetLocation reads a sub-account's business profile (scope
// locations.readonly, with an agency or the location's own token).
const EndpointGetLocation = "GET /locations/{locationId}"

// Location is a sub-account's business profile: its name, address and contact.
type Location struct {
	ID         string `json:"id"`
	CompanyID  string `json:"companyId"`
	Name       string `json:"name"`
	Address    string `json:"address"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	Country    string `json:"country,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Website    string `json:"website,omitempty"`
	Timezone   string `json:"timezone,omitempty"`
	FirstName  string `json:"firstName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
}

// GetLocation reads a location's business profile.
func (c *Client) GetLocation(ctx context.Context, locationID string) (*Location, error) {
	var out struct {
		Location Location `json:"location"`
	}
	if err := c.do(ctx, request{
		endpoint: EndpointGetLocation, method: http.MethodGet, path: "/locations/" + url.PathEscape(locationID),
		version: VersionOAuth, auth: true,
	}, &out); err != nil {
		return nil, err
	}
	return &out.Location, nil
}
