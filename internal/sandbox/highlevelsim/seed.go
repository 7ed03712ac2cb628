package highlevelsim

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// AgencySpec describes an agency to create. Empty fields are generated.
type AgencySpec struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	Plan string `json:"plan,omitempty"` // default DefaultAgencyPlan
	// InstallToFutureLocations defaults to true.
	InstallToFutureLocations *bool `json:"installToFutureLocations,omitempty"`
	// Locations are created first, then LocationCount generated ones.
	Locations     []LocationSpec `json:"locations,omitempty"`
	LocationCount int            `json:"locationCount,omitempty"`
	// Webhooks emits LocationCreate and, where the app is installed,
	// INSTALL for each new location, when a webhook URL is configured.
	Webhooks bool `json:"webhooks,omitempty"`
}

// LocationSpec describes a location to create. Empty fields are generated
// with realistic demo values.
type LocationSpec struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Website string `json:"website,omitempty"`
	Address string `json:"address,omitempty"`
	// Installed (app installed at the location) defaults to true.
	Installed *bool `json:"installed,omitempty"`
	// Active defaults to true.
	Active *bool `json:"active,omitempty"`
}

// AddLocationsRequest adds locations to an existing agency: the explicit
// Locations first, then Count generated ones.
type AddLocationsRequest struct {
	CompanyID string         `json:"companyId"`
	Locations []LocationSpec `json:"locations,omitempty"`
	Count     int            `json:"count,omitempty"`
	// Webhooks: as in AgencySpec.
	Webhooks bool `json:"webhooks,omitempty"`
}

// CreatedAgency is the result of CreateAgency.
type CreatedAgency struct {
	Agency    Agency     `json:"agency"`
	Locations []Location `json:"locations"`
}

// AgencyPatch changes an agency; nil fields are left alone.
type AgencyPatch struct {
	Name                     *string `json:"name,omitempty"`
	Plan                     *string `json:"plan,omitempty"`
	InstallToFutureLocations *bool   `json:"installToFutureLocations,omitempty"`
}

// LocationPatch changes a location; nil fields are left alone. Setting
// Installed to false uninstalls the app there and revokes its tokens.
type LocationPatch struct {
	Name      *string `json:"name,omitempty"`
	Email     *string `json:"email,omitempty"`
	Address   *string `json:"address,omitempty"`
	Active    *bool   `json:"active,omitempty"`
	Installed *bool   `json:"installed,omitempty"`
	// SaaSMode is one of the SaaSMode* constants; isSaaSV2 follows it.
	SaaSMode           *string `json:"saasMode,omitempty"`
	SubscriptionID     *string `json:"subscriptionId,omitempty"`
	CustomerID         *string `json:"customerId,omitempty"`
	PriceID            *string `json:"priceId,omitempty"`
	SaaSPlanID         *string `json:"saasPlanId,omitempty"`
	ProductID          *string `json:"productId,omitempty"`
	SubscriptionStatus *string `json:"subscriptionStatus,omitempty"`
	Paused             *bool   `json:"paused,omitempty"`
	// Webhooks emits LocationUpdate, and INSTALL or UNINSTALL when
	// Installed flips, when a webhook URL is configured. It is not stored.
	Webhooks bool `json:"webhooks,omitempty"`
}

// State is everything the simulator knows except tokens.
type State struct {
	App       AppInfo    `json:"app"`
	Agencies  []Agency   `json:"agencies"`
	Locations []Location `json:"locations"`
}

// AppInfo identifies the simulated marketplace app.
type AppInfo struct {
	ClientID  string `json:"clientId"`
	AppID     string `json:"appId"`
	VersionID string `json:"versionId"`
}

// CreateAgency adds an agency with two seeded SaaS plans and its locations.
func (s *Server) CreateAgency(spec AgencySpec) (CreatedAgency, error) {
	if spec.LocationCount < 0 {
		return CreatedAgency{}, simkit.Errorf(http.StatusBadRequest, "locationCount must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if spec.ID == "" {
		spec.ID = newResourceID()
	}
	if _, dup := s.w.agencies[spec.ID]; dup {
		return CreatedAgency{}, simkit.Errorf(http.StatusConflict, "agency %s already exists", spec.ID)
	}
	if err := s.checkNewLocationIDs(spec.Locations); err != nil {
		return CreatedAgency{}, err
	}
	a := &Agency{
		ID:                       spec.ID,
		Name:                     cmp.Or(spec.Name, fmt.Sprintf("Sandbox Agency %d", len(s.w.agencyOrder)+1)),
		Plan:                     cmp.Or(spec.Plan, DefaultAgencyPlan),
		UserID:                   newResourceID(),
		InstallToFutureLocations: spec.InstallToFutureLocations == nil || *spec.InstallToFutureLocations,
		CreatedAt:                now,
		Plans:                    seedPlans(spec.ID, now),
	}
	s.w.agencies[a.ID] = a
	s.w.agencyOrder = append(s.w.agencyOrder, a.ID)
	locs := s.addLocationsLocked(a, spec.Locations, spec.LocationCount)
	if spec.Webhooks {
		s.emitLocked(s.locationsCreatedEvents(a, locs)...)
	}
	s.log.Info("agency created", zap.String("companyId", a.ID), zap.Int("locations", len(locs)))
	return CreatedAgency{Agency: a.view(), Locations: locs}, nil
}

// AddLocations adds locations to an existing agency.
func (s *Server) AddLocations(req AddLocationsRequest) ([]Location, error) {
	if req.Count < 0 {
		return nil, simkit.Errorf(http.StatusBadRequest, "count must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.w.agencies[req.CompanyID]
	if !ok {
		return nil, simkit.Errorf(http.StatusNotFound, "agency %q not found", req.CompanyID)
	}
	if err := s.checkNewLocationIDs(req.Locations); err != nil {
		return nil, err
	}
	locs := s.addLocationsLocked(a, req.Locations, req.Count)
	if req.Webhooks {
		s.emitLocked(s.locationsCreatedEvents(a, locs)...)
	}
	s.log.Info("locations added", zap.String("companyId", a.ID), zap.Int("locations", len(locs)))
	return locs, nil
}

func (s *Server) checkNewLocationIDs(specs []LocationSpec) error {
	seen := map[string]bool{}
	for _, sp := range specs {
		if sp.ID == "" {
			continue
		}
		if _, dup := s.w.locations[sp.ID]; dup || seen[sp.ID] {
			return simkit.Errorf(http.StatusConflict, "location %s already exists", sp.ID)
		}
		seen[sp.ID] = true
	}
	return nil
}

// addLocationsLocked creates the explicit specs and then n generated ones.
func (s *Server) addLocationsLocked(a *Agency, specs []LocationSpec, n int) []Location {
	specs = append(slices.Clone(specs), make([]LocationSpec, n)...)
	now := s.now()
	out := make([]Location, 0, len(specs))
	for _, sp := range specs {
		demo := demoLocation(len(s.w.locations))
		l := &Location{
			ID:        cmp.Or(sp.ID, newResourceID()),
			CompanyID: a.ID,
			Name:      cmp.Or(sp.Name, demo.name),
			Email:     cmp.Or(sp.Email, demo.email),
			Phone:     cmp.Or(sp.Phone, demo.phone),
			Website:   cmp.Or(sp.Website, demo.website),
			Address:   cmp.Or(sp.Address, demo.address),
			Active:    sp.Active == nil || *sp.Active,
			SaaS:      SaaSState{SaaSMode: SaaSModeNotActivated},
		}
		if sp.Installed == nil || *sp.Installed {
			l.install(s.versionID, now)
		}
		s.w.locations[l.ID] = l
		a.LocationIDs = append(a.LocationIDs, l.ID)
		out = append(out, l.view())
	}
	return out
}

// UpdateAgency applies p to agency id.
func (s *Server) UpdateAgency(id string, p AgencyPatch) (Agency, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.w.agencies[id]
	if !ok {
		return Agency{}, simkit.Errorf(http.StatusNotFound, "agency %q not found", id)
	}
	setIf(&a.Name, p.Name)
	setIf(&a.Plan, p.Plan)
	setIf(&a.InstallToFutureLocations, p.InstallToFutureLocations)
	s.log.Info("agency updated", zap.String("companyId", id))
	return a.view(), nil
}

// UpdateLocation applies p to location id.
func (s *Server) UpdateLocation(id string, p LocationPatch) (Location, error) {
	if p.SaaSMode != nil && !slices.Contains([]string{SaaSModeNotActivated, SaaSModeV1, SaaSModeV2}, *p.SaaSMode) {
		return Location{}, simkit.Errorf(http.StatusBadRequest, "saasMode must be %s, %s or %s", SaaSModeNotActivated, SaaSModeV1, SaaSModeV2)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.w.locations[id]
	if !ok {
		return Location{}, simkit.Errorf(http.StatusNotFound, "location %q not found", id)
	}
	setIf(&l.Name, p.Name)
	setIf(&l.Email, p.Email)
	setIf(&l.Address, p.Address)
	setIf(&l.Active, p.Active)
	var flip *webhookEvent
	if p.Installed != nil && *p.Installed != l.Installed {
		if *p.Installed {
			l.install(s.versionID, s.now())
			flip = ptr(s.installEvent(s.w.agencies[l.CompanyID], l, false))
		} else {
			s.w.uninstallLocation(l)
			flip = ptr(s.uninstallEvent(l.CompanyID, l.ID))
		}
	}
	if p.SaaSMode != nil {
		l.SaaS.SaaSMode = *p.SaaSMode
		l.SaaS.IsSaaSV2 = *p.SaaSMode == SaaSModeV2
	}
	setIf(&l.SaaS.SubscriptionID, p.SubscriptionID)
	setIf(&l.SaaS.CustomerID, p.CustomerID)
	setIf(&l.SaaS.PriceID, p.PriceID)
	setIf(&l.SaaS.SaaSPlanID, p.SaaSPlanID)
	setIf(&l.SaaS.ProductID, p.ProductID)
	setIf(&l.SaaS.SubscriptionStatus, p.SubscriptionStatus)
	setIf(&l.SaaS.Paused, p.Paused)
	if p.Webhooks {
		evs := []webhookEvent{locationEvent(EventLocationUpdate, l)}
		if flip != nil {
			evs = append(evs, *flip)
		}
		s.emitLocked(evs...)
	}
	s.log.Info("location updated", zap.String("locationId", id))
	return l.view(), nil
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// State returns a snapshot of agencies and locations in creation order.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{
		App:       AppInfo{ClientID: s.clientID, AppID: s.appID, VersionID: s.versionID},
		Agencies:  []Agency{},
		Locations: []Location{},
	}
	for _, id := range s.w.agencyOrder {
		a := s.w.agencies[id]
		st.Agencies = append(st.Agencies, a.view())
		for _, lid := range a.LocationIDs {
			st.Locations = append(st.Locations, s.w.locations[lid].view())
		}
	}
	return st
}
