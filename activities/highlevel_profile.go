package activities

// *HighLevel: a location's business profile. HighLevel (highlevel.go) holds the HighLevel client, the token store, the pacing of
// each agency's budget and the initial-plan rules.

import "context"

// LocationProfile is a location's business contact as HighLevel keeps it.
type LocationProfile struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Website string `json:"website,omitempty"`
}

// GetLocationProfile calls GET /locations/{locationId} with the agency's token.
func (a *HighLevel) GetLocationProfile(ctx context.Context, in LocationRef) (LocationProfile, error) {
	api := a.agency(in.CompanyID)
	l, err := api.GetLocation(ctx, in.LocationID)
	if err != nil {
		return LocationProfile{}, classify(err)
	}
	return LocationProfile{Name: l.Name, Address: l.Address, Email: l.Email, Phone: l.Phone, Website: l.Website}, nil
}
