package activities

// *HighLevel: the agency-wide listings reconciliation pages through. HighLevel (highlevel.go) holds the HighLevel client, the token store, the pacing of
// each agency's budget and the initial-plan rules.

import (
	"context"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

// InstalledPageRequest asks for one page of a company's installed locations.
type InstalledPageRequest struct {
	CompanyID string `json:"companyId"`
	Skip      int    `json:"skip"`
}

// InstalledPage is one page of installedLocations: the ids where the app is installed,
// and where the next page starts (0 when this was the last).
type InstalledPage struct {
	Installed []string `json:"installed"`
	Total     int      `json:"total"`
	Next      int      `json:"next"`
}

// ListInstalledLocations calls GET /oauth/installedLocations for one page of 100.
func (a *HighLevel) ListInstalledLocations(ctx context.Context, in InstalledPageRequest) (InstalledPage, error) {
	installed := true
	api := a.agency(in.CompanyID)
	page, err := api.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{
		CompanyID: in.CompanyID, Skip: in.Skip, Limit: highlevel.MaxInstalledLocationsLimit, IsInstalled: &installed,
	})
	if err != nil {
		return InstalledPage{}, classify(err)
	}
	out := InstalledPage{Total: page.Count}
	for _, l := range page.Locations {
		if l.IsInstalled {
			out.Installed = append(out.Installed, l.ID)
		}
	}
	if next := in.Skip + len(page.Locations); len(page.Locations) > 0 && next < page.Count {
		out.Next = next
	}
	return out, nil
}

// SaaSPageRequest asks for one page (1-based) of a company's SaaS locations.
type SaaSPageRequest struct {
	CompanyID string `json:"companyId"`
	Page      int    `json:"page"`
}

// SaaSState is HighLevel's subscription state of one location, as reconciliation
// compares it with the last one applied.
type SaaSState struct {
	LocationID     string `json:"locationId"`
	SubscriptionID string `json:"subscriptionId,omitempty"`
	PlanID         string `json:"planId,omitempty"`
	Status         string `json:"status,omitempty"`
}

// SaaSPage is one page of saas-locations.
type SaaSPage struct {
	Locations []SaaSState `json:"locations"`
	HasNext   bool        `json:"hasNext"`
}

// ListSaaSLocations calls GET /saas/saas-locations/{companyId} for one page.
func (a *HighLevel) ListSaaSLocations(ctx context.Context, in SaaSPageRequest) (SaaSPage, error) {
	api := a.agency(in.CompanyID)
	page, err := api.SaaSLocations(ctx, in.CompanyID, in.Page)
	if err != nil {
		return SaaSPage{}, classify(err)
	}
	out := SaaSPage{HasNext: page.Pagination.HasNext}
	for _, l := range page.Locations {
		out.Locations = append(out.Locations, SaaSState{
			LocationID: l.LocationID, SubscriptionID: l.SubscriptionID,
			PlanID: l.SubscriptionInfo.SaaSPlanID, Status: l.SubscriptionInfo.SubscriptionStatus,
		})
	}
	return out, nil
}
