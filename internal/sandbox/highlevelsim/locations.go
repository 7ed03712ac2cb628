package highlevelsim

// locationDTO is GET /locations/{locationId}'s "location": the sub-account's business
// profile. Simulator choice: the members the simulator keeps; the rest of HighLevel's
// profile (logo, timezone, social, settings) is absent.
type locationDTO struct {
	ID        string `json:"id"`
	CompanyID string `json:"companyId"`
	Name      string `json:"name"`
	Address   string `json:"address"`
	Email     string `json:"email"`
	Phone     string `json:"phone,omitempty"`
	Website   string `json:"website,omitempty"`
}

// getLocation serves GET /locations/{locationId} (scope locations.readonly): an
// agency token reads any location of its company, a location token its own.
func (s *Server) getLocation(c *apiCall) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.r.PathValue("locationId")
	if c.tok.userType == userLocation && c.tok.locationID != id {
		return nil, errForbidden(msgNoLocationAccess)
	}
	l, err := s.ownedLocation(c, id)
	if err != nil {
		return nil, err
	}
	return map[string]locationDTO{"location": {ID: l.ID, CompanyID: l.CompanyID, Name: l.Name, Address: l.Address,
		Email: l.Email, Phone: l.Phone, Website: l.Website}}, nil
}
