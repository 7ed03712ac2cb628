package highlevelsim

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// The SaaS API (reference §4). Every handler is mounted at /saas/* and at
// the deprecated /saas-api/public-api/*; see routes.go. Access rules common
// to all of them, beyond the spec (simulator choices where not documented):
//   - a companyId in the path, query or body must be the token's company
//     (403 "The token does not have access to this company.");
//   - an unknown location is 404 "Location not found"; another company's
//     location is 403 "The token does not have access to this location.";
//   - bodies are JSON only; other content types read as an empty body.

// rebillingProducts is UpdateRebillingDto.product's enum.
var rebillingProducts = []string{
	"contentAI", "workflow_premium_actions", "workflow_ai", "conversationAI", "EmailNotification",
	"whatsApp", "reviewsAI", "VERIFIED_CALLER_ID", "WALLET_SALES_TAX", "NOTIFICATION_SMS", "EmailSmtp",
	"EmailVerification", "autoCompleteAddress", "funnelAI", "domainPurchase", "Phone", "Email",
}

// saasLocationsPageSize is GetSaasLocationsResponseDto's example limit; the
// endpoint takes no limit parameter.
const saasLocationsPageSize = 10

func companyAccess(c *apiCall, companyID string) error {
	if companyID != c.tok.companyID {
		return errForbidden(msgNoCompanyAccess)
	}
	return nil
}

// ownedLocations resolves ids to locations of the token's company, failing
// on the first unknown or foreign one. Callers hold s.mu.
func (s *Server) ownedLocations(c *apiCall, ids ...string) ([]*Location, error) {
	out := make([]*Location, 0, len(ids))
	for _, id := range ids {
		l, ok := s.w.locations[id]
		if !ok {
			return nil, errNotFound(msgLocationMissing)
		}
		if l.CompanyID != c.tok.companyID {
			return nil, errForbidden(msgNoLocationAccess)
		}
		out = append(out, l)
	}
	return out, nil
}

func (s *Server) ownedLocation(c *apiCall, id string) (*Location, error) {
	ls, err := s.ownedLocations(c, id)
	if err != nil {
		return nil, err
	}
	return ls[0], nil
}

// requirePro enforces "This feature is only available on Agency Pro ($497)
// plan." The status for other plans is not documented; simulator choice: 400.
func requirePro(a *Agency) error {
	if !strings.HasSuffix(a.Plan, "_497") {
		return errBadRequest("This feature is only available on Agency Pro ($497) plan.")
	}
	return nil
}

// saasEnable is what enabling SaaS records on a location.
type saasEnable struct {
	v2                                                       bool
	customerID, planID, priceID, productID, providerLocation string
}

// resolvePlan checks an optional saasPlanId/priceId against the agency's
// plans and returns the plan's product.
func resolvePlan(a *Agency, planID, priceID string) (productID string, err error) {
	if planID == "" {
		return "", nil
	}
	p, ok := a.plan(planID)
	if !ok {
		return "", errBadRequest(msgPlanMissing)
	}
	if priceID != "" && !p.hasPrice(priceID) {
		return "", errBadRequest("Price not found in SaaS plan")
	}
	return p.ProductID, nil
}

// enableSaaS puts l in SaaS mode. A Stripe customer is created when the
// request names none and the location has none.
func (l *Location) enableSaaS(e saasEnable) {
	mode := SaaSModeV1
	if e.v2 {
		mode = SaaSModeV2
	}
	l.SaaS = SaaSState{
		SaaSMode: mode, IsSaaSV2: e.v2,
		CustomerID: cmp.Or(e.customerID, l.SaaS.CustomerID, newStripeID("cus_")),
		SaaSPlanID: e.planID, PriceID: e.priceID, ProductID: e.productID, ProviderLocationID: e.providerLocation,
		SubscriptionID: l.SaaS.SubscriptionID, SubscriptionStatus: l.SaaS.SubscriptionStatus,
		Paused: l.SaaS.Paused, EnableCount: l.SaaS.EnableCount + 1,
	}
}

// saasLocationIDs serves GET /saas/locations: ids of the company's
// locations whose Stripe customer or subscription matches. The spec marks
// both Stripe ids required on /saas/* and optional elsewhere; the docs say
// "send whichever you have". Simulator choice: at least one, on both paths.
func (s *Server) saasLocationIDs(c *apiCall) (any, error) {
	q := queryObject(c.r.URL.Query())
	companyID := q.str("companyId", true)
	customerID := q.str("customerId", false)
	subscriptionID := q.str("subscriptionId", false)
	if err := q.err(); err != nil {
		return nil, err
	}
	if customerID == "" && subscriptionID == "" {
		return nil, unprocessable("customerId should not be empty", "subscriptionId should not be empty")
	}
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := []string{}
	for _, id := range s.w.agencies[companyID].LocationIDs {
		st := s.w.locations[id].SaaS
		if (customerID != "" && st.CustomerID == customerID) || (subscriptionID != "" && st.SubscriptionID == subscriptionID) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// updateSubscription serves PUT update-saas-subscription/{locationId}. Its
// 200 body is documented only as "type: string"; simulator choice: the JSON
// string "success".
func (s *Server) updateSubscription(c *apiCall) (any, error) {
	o, err := c.bodyObject()
	if err != nil {
		return nil, err
	}
	subscriptionID := o.str("subscriptionId", true)
	customerID := o.str("customerId", true)
	companyID := o.str("companyId", true)
	if err := o.err(); err != nil {
		return nil, err
	}
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.ownedLocation(c, c.r.PathValue("locationId"))
	if err != nil {
		return nil, err
	}
	if !l.SaaS.enabled() {
		return nil, errBadRequest("SaaS is not enabled for this location") // simulator choice
	}
	if sub, ok := s.w.stripeSubs[subscriptionID]; ok && sub.CompanyID == l.CompanyID {
		// HighLevel reads the subscription from the agency's Stripe account.
		if sub.CustomerID != customerID {
			return nil, errBadRequest("The subscription belongs to another Stripe customer") // simulator choice
		}
		l.SaaS.SubscriptionID = subscriptionID
		l.followStripe(s.w.agencies[l.CompanyID], sub)
		return "success", nil
	}
	l.SaaS.SubscriptionID, l.SaaS.CustomerID = subscriptionID, customerID
	l.SaaS.SubscriptionStatus = "active"
	if l.SaaS.Paused {
		l.SaaS.SubscriptionStatus = "paused"
	}
	return "success", nil
}

type enableSaaSResponse struct {
	Data struct {
		CustomerID         string `json:"customer_id"`
		OK                 bool   `json:"ok"`
		PaymentMethodAdded bool   `json:"paymentMethodAdded"`
	} `json:"data"`
}

// enableSaaS serves POST enable-saas/{locationId}. Enabling a location that
// is already in SaaS mode is not documented; simulator choice: 400 "SaaS is
// already enabled for this location", with no state change. Fields the
// spec marks "required only for SaaS V1/V2" are type-checked but not
// enforced, as the conditions are not documented precisely.
func (s *Server) enableSaaS(c *apiCall) (any, error) {
	o, err := c.bodyObject()
	if err != nil {
		return nil, err
	}
	companyID := o.str("companyId", true)
	v2, _ := o.boolean("isSaaSV2", true)
	e := saasEnable{
		v2:               v2,
		customerID:       o.str("stripeCustomerId", false),
		planID:           o.str("saasPlanId", false),
		priceID:          o.str("priceId", false),
		providerLocation: o.str("providerLocationId", false),
	}
	for _, f := range []string{"stripeAccountId", "name", "email", "contactId", "description"} {
		o.str(f, false)
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.ownedLocation(c, c.r.PathValue("locationId"))
	if err != nil {
		return nil, err
	}
	a := s.w.agencies[l.CompanyID]
	if err := requirePro(a); err != nil {
		return nil, err
	}
	if l.SaaS.enabled() {
		return nil, errBadRequest("SaaS is already enabled for this location")
	}
	if e.productID, err = resolvePlan(a, e.planID, e.priceID); err != nil {
		return nil, err
	}
	l.enableSaaS(e)
	if e.planID != "" && l.SaaS.SubscriptionID == "" {
		s.preconfigureSubscription(a, l, e)
	}
	var resp enableSaaSResponse
	resp.Data.CustomerID, resp.Data.OK = l.SaaS.CustomerID, true
	resp.Data.PaymentMethodAdded = l.SaaS.SubscriptionID != "" // a subscription implies a card on file
	return resp, nil
}

// preconfigureSubscription is enable-saas's "pre-configuring saas subscription": a
// subscription in the agency's Stripe account on the plan's price (the request's, else
// the plan's first), trialing for the plan's trial period (active without one), and
// attached to the location. Simulator choice: HighLevel documents the fields, not
// what it makes of them.
func (s *Server) preconfigureSubscription(a *Agency, l *Location, e saasEnable) {
	p, _ := a.plan(e.planID) // resolvePlan checked it
	now := s.now().UTC().Truncate(time.Second)
	sub := &StripeSubscription{ID: newStripeID("sub_1"), CompanyID: a.ID, CustomerID: l.SaaS.CustomerID, Status: "active",
		PriceID: e.priceID, ProductID: p.ProductID, Created: now, ChangedAt: now}
	if sub.PriceID == "" && len(p.Prices) > 0 {
		sub.PriceID = p.Prices[0].ID
	}
	if p.TrialPeriod > 0 {
		sub.Status, sub.TrialEnd = "trialing", now.AddDate(0, 0, p.TrialPeriod)
	}
	s.w.stripeSubs[sub.ID] = sub
	l.SaaS.SubscriptionID = sub.ID
	l.followStripe(a, sub)
}

// bulkDisableSaaS serves POST bulk-disable-saas/{companyId}. All locations
// are checked before any changes (simulator choice: all or nothing).
func (s *Server) bulkDisableSaaS(c *apiCall) (any, error) {
	o, err := c.bodyObject()
	if err != nil {
		return nil, err
	}
	ids := o.strs("locationIds", true)
	if err := o.err(); err != nil {
		return nil, err
	}
	if err := companyAccess(c, c.r.PathValue("companyId")); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	locs, err := s.ownedLocations(c, ids...)
	if err != nil {
		return nil, err
	}
	for _, l := range locs {
		l.disableSaaS()
	}
	return map[string]any{"data": map[string]string{"msg": "success"}}, nil
}

type bulkEnableSaaSResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// bulkEnableSaaS serves POST bulk-enable-saas/{companyId}. Locations
// already in SaaS mode are skipped (HighLevel runs this as a bulk action
// whose per-location failures are not reported here).
func (s *Server) bulkEnableSaaS(c *apiCall) (any, error) {
	o, err := c.bodyObject()
	if err != nil {
		return nil, err
	}
	ids := o.strs("locationIds", true)
	v2, _ := o.boolean("isSaaSV2", true)
	ap := o.nested("actionPayload", true)
	e := saasEnable{
		v2:               v2,
		planID:           ap.str("saasPlanId", true),
		priceID:          ap.str("priceId", false),
		providerLocation: ap.str("providerLocationId", false),
	}
	ap.str("stripeAccountId", false)
	if err := o.err(); err != nil {
		return nil, err
	}
	companyID := c.r.PathValue("companyId")
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.agencies[companyID]
	if err := requirePro(a); err != nil {
		return nil, err
	}
	if e.productID, err = resolvePlan(a, e.planID, e.priceID); err != nil {
		return nil, err
	}
	locs, err := s.ownedLocations(c, ids...)
	if err != nil {
		return nil, err
	}
	for _, l := range locs {
		if !l.SaaS.enabled() {
			l.enableSaaS(e)
			if l.SaaS.SubscriptionID == "" {
				s.preconfigureSubscription(a, l, e)
			}
		}
	}
	return bulkEnableSaaSResponse{Success: true, Message: "Bulk enable SaaS operation completed successfully"}, nil
}

// pause serves POST pause/{locationId}: the agency pauses or resumes the
// sub-account; a subscription follows ("paused" ⇄ "active"). The 2xx body
// is a bare JSON boolean.
func (s *Server) pause(c *apiCall) (any, error) {
	o, err := c.bodyObject()
	if err != nil {
		return nil, err
	}
	paused, _ := o.boolean("paused", true)
	companyID := o.str("companyId", true)
	if err := o.err(); err != nil {
		return nil, err
	}
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.ownedLocation(c, c.r.PathValue("locationId"))
	if err != nil {
		return nil, err
	}
	l.SaaS.Paused = paused
	switch {
	case l.SaaS.SubscriptionID == "":
	case paused:
		l.SaaS.SubscriptionStatus = "paused"
	case l.SaaS.SubscriptionStatus == "paused":
		l.SaaS.SubscriptionStatus = "active"
	}
	return true, nil
}

// updateRebilling serves POST update-rebilling/{companyId}; the config is
// merged into each location's settings for the product.
func (s *Server) updateRebilling(c *apiCall) (any, error) {
	o, err := c.bodyObject()
	if err != nil {
		return nil, err
	}
	product := o.oneOf("product", rebillingProducts)
	ids := o.strs("locationIds", true)
	cfg := o.nested("config", true)
	optIn, hasOptIn := cfg.boolean("optIn", false)
	enabled, hasEnabled := cfg.boolean("enabled", false)
	markup, hasMarkup := cfg.number("markup", false)
	if err := o.err(); err != nil {
		return nil, err
	}
	if err := companyAccess(c, c.r.PathValue("companyId")); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	locs, err := s.ownedLocations(c, ids...)
	if err != nil {
		return nil, err
	}
	for _, l := range locs {
		rc := l.Rebilling[product]
		if hasOptIn {
			rc.OptIn = ptr(optIn)
		}
		if hasEnabled {
			rc.Enabled = ptr(enabled)
		}
		if hasMarkup {
			rc.Markup = ptr(markup)
		}
		if l.Rebilling == nil {
			l.Rebilling = map[string]RebillingConfig{}
		}
		l.Rebilling[product] = rc
	}
	return map[string]bool{"success": true}, nil
}

// agencyPlans serves GET agency-plans/{companyId}.
func (s *Server) agencyPlans(c *apiCall) (any, error) {
	companyID := c.r.PathValue("companyId")
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.w.agencies[companyID].Plans), nil
}

// locationSubscriptionDTO is LocationSubscriptionResponseDto.
type locationSubscriptionDTO struct {
	LocationID         string `json:"locationId"`
	IsSaaSV2           bool   `json:"isSaaSV2"`
	CompanyID          string `json:"companyId"`
	SaaSMode           string `json:"saasMode"`
	SubscriptionID     string `json:"subscriptionId,omitempty"`
	CustomerID         string `json:"customerId,omitempty"`
	ProductID          string `json:"productId,omitempty"`
	PriceID            string `json:"priceId,omitempty"`
	SaaSPlanID         string `json:"saasPlanId,omitempty"`
	SubscriptionStatus string `json:"subscriptionStatus,omitempty"`
}

// getSubscription serves GET get-saas-subscription/{locationId}.
func (s *Server) getSubscription(c *apiCall) (any, error) {
	q := queryObject(c.r.URL.Query())
	companyID := q.str("companyId", true)
	if err := q.err(); err != nil {
		return nil, err
	}
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.ownedLocation(c, c.r.PathValue("locationId"))
	if err != nil {
		return nil, err
	}
	st := l.SaaS
	return locationSubscriptionDTO{
		LocationID: l.ID, IsSaaSV2: st.IsSaaSV2, CompanyID: l.CompanyID, SaaSMode: st.SaaSMode,
		SubscriptionID: st.SubscriptionID, CustomerID: st.CustomerID, ProductID: st.ProductID,
		PriceID: st.PriceID, SaaSPlanID: st.SaaSPlanID, SubscriptionStatus: st.SubscriptionStatus,
	}, nil
}

// saasLocationDTO is SaasLocationDto.
type saasLocationDTO struct {
	LocationID         string           `json:"locationId"`
	CompanyID          string           `json:"companyId"`
	SaaSMode           string           `json:"saasMode"`
	SubscriptionID     string           `json:"subscriptionId"`
	CustomerID         string           `json:"customerId,omitempty"`
	Name               string           `json:"name"`
	Email              string           `json:"email"`
	ProviderLocationID string           `json:"providerLocationId,omitempty"`
	IsSaaSV2           bool             `json:"isSaaSV2"`
	SubscriptionInfo   subscriptionInfo `json:"subscriptionInfo"`
}

type subscriptionInfo struct {
	PriceID            string `json:"priceId,omitempty"`
	SaaSPlanID         string `json:"saasPlanId,omitempty"`
	StripeProductID    string `json:"stripeProductId,omitempty"`
	SubscriptionStatus string `json:"subscriptionStatus,omitempty"`
}

type pagination struct {
	Page       int  `json:"page"`
	Limit      int  `json:"limit"`
	Total      int  `json:"total"`
	TotalPages int  `json:"totalPages"`
	HasNext    bool `json:"hasNext"`
	HasPrev    bool `json:"hasPrev"`
}

type saasLocationsResponse struct {
	Locations  []saasLocationDTO `json:"locations"`
	Pagination pagination        `json:"pagination"`
}

// saasLocations serves GET saas-locations/{companyId}: the company's
// SaaS-enabled locations, ten per page. page is required on /saas/* and
// defaults to 1 on the deprecated path, as the spec says.
func (s *Server) saasLocations(c *apiCall) (any, error) {
	q := queryObject(c.r.URL.Query())
	pageNum, given := q.number("page", !c.ep.deprecated)
	if err := q.err(); err != nil {
		return nil, err
	}
	page := 1
	if given {
		if pageNum != math.Trunc(pageNum) || pageNum < 1 {
			return nil, unprocessable("page must not be less than 1")
		}
		page = int(pageNum)
	}
	companyID := c.r.PathValue("companyId")
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []saasLocationDTO
	for _, id := range s.w.agencies[companyID].LocationIDs {
		l := s.w.locations[id]
		if !l.SaaS.enabled() {
			continue
		}
		st := l.SaaS
		all = append(all, saasLocationDTO{
			LocationID: l.ID, CompanyID: l.CompanyID, SaaSMode: st.SaaSMode, SubscriptionID: st.SubscriptionID,
			CustomerID: st.CustomerID, Name: l.Name, Email: l.Email, ProviderLocationID: st.ProviderLocationID,
			IsSaaSV2: st.IsSaaSV2,
			SubscriptionInfo: subscriptionInfo{
				PriceID: st.PriceID, SaaSPlanID: st.SaaSPlanID, StripeProductID: st.ProductID, SubscriptionStatus: st.SubscriptionStatus,
			},
		})
	}
	total := len(all)
	totalPages := (total + saasLocationsPageSize - 1) / saasLocationsPageSize
	from := min(total, (page-1)*saasLocationsPageSize)
	to := min(total, from+saasLocationsPageSize)
	return saasLocationsResponse{
		Locations: append([]saasLocationDTO{}, all[from:to]...),
		Pagination: pagination{
			Page: page, Limit: saasLocationsPageSize, Total: total, TotalPages: totalPages,
			HasNext: page < totalPages, HasPrev: page > 1,
		},
	}, nil
}

// saasPlan serves GET saas-plan/{planId}.
func (s *Server) saasPlan(c *apiCall) (any, error) {
	q := queryObject(c.r.URL.Query())
	companyID := q.str("companyId", true)
	if err := q.err(); err != nil {
		return nil, err
	}
	if err := companyAccess(c, companyID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.w.agencies[companyID].plan(c.r.PathValue("planId"))
	if !ok {
		return nil, errNotFound(msgPlanMissing)
	}
	return p, nil
}
