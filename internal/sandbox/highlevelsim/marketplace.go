package highlevelsim

import "go.uber.org/zap"

// uninstall serves DELETE /marketplace/app/{appId}/installations
// (apps/marketplace.json). An agency token with companyId uninstalls from
// the agency and all its locations; a location token with locationId
// uninstalls that location. Either way the affected tokens are revoked, as
// the app's access ends, and with a webhook URL configured an UNINSTALL of
// the matching form is emitted (only the company form for an agency).
// Simulator choice (not documented): an agency token that also names a
// locationId uninstalls only that location.
func (s *Server) uninstall(c *apiCall) (any, error) {
	o, err := c.bodyObject()
	if err != nil {
		return nil, err
	}
	isAgency := c.tok.userType == userCompany
	companyID := o.str("companyId", isAgency)
	locationID := o.str("locationId", !isAgency)
	o.str("reason", false)
	if err := o.err(); err != nil {
		return nil, err
	}
	if c.r.PathValue("appId") != s.appID {
		return nil, errForbidden(msgNoAppAccess)
	}
	if isAgency {
		if err := companyAccess(c, companyID); err != nil {
			return nil, err
		}
	} else if locationID != c.tok.locationID {
		return nil, errForbidden(msgNoLocationAccess)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if locationID == "" {
		s.w.uninstallAgency(s.w.agencies[companyID])
		s.emitLocked(s.uninstallEvent(companyID, ""))
		s.log.Info("app uninstalled from agency", zap.String("companyId", companyID))
		return map[string]bool{"success": true}, nil
	}
	l, err := s.ownedLocation(c, locationID)
	if err != nil {
		return nil, err
	}
	s.w.uninstallLocation(l)
	s.emitLocked(s.uninstallEvent(l.CompanyID, l.ID))
	s.log.Info("app uninstalled from location", zap.String("locationId", locationID))
	return map[string]bool{"success": true}, nil
}
