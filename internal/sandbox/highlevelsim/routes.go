package highlevelsim

import "net/http"

// Scope alternatives. The SaaS spec requires no scope, while the v3 docs
// name saas/company.* and the Scopes table saas/location.*; the reference
// advises a strict simulator to accept either naming (§1.4).
var (
	saasReadScopes  = []string{"saas/company.read", "saas/company.write", "saas/location.read", "saas/location.write"}
	saasWriteScopes = []string{"saas/company.write", "saas/location.write"}
	agencyOnly      = []string{userCompany}
)

// saasRoute is one SaaS endpoint, mounted under both path families.
type saasRoute struct {
	method, path string // path below /saas/
	write        bool
	handle       func(*Server, *apiCall) (any, error)
}

var saasRoutes = []saasRoute{
	{"GET", "locations", false, (*Server).saasLocationIDs},
	{"PUT", "update-saas-subscription/{locationId}", true, (*Server).updateSubscription},
	{"POST", "enable-saas/{locationId}", true, (*Server).enableSaaS},
	{"POST", "bulk-disable-saas/{companyId}", true, (*Server).bulkDisableSaaS},
	{"POST", "bulk-enable-saas/{companyId}", true, (*Server).bulkEnableSaaS},
	{"POST", "pause/{locationId}", true, (*Server).pause},
	{"POST", "update-rebilling/{companyId}", true, (*Server).updateRebilling},
	{"GET", "agency-plans/{companyId}", false, (*Server).agencyPlans},
	{"GET", "get-saas-subscription/{locationId}", false, (*Server).getSubscription},
	{"GET", "saas-locations/{companyId}", false, (*Server).saasLocations},
	{"GET", "saas-plan/{planId}", false, (*Server).saasPlan},
}

// apiRoutes builds the HighLevel side of the simulator.
func (s *Server) apiRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	add := func(ep *endpoint) { mux.Handle(ep.pattern, s.serve(ep)) }

	add(&endpoint{pattern: "POST /oauth/token", public: true, success: http.StatusOK, handle: s.token})
	add(&endpoint{
		pattern: "GET /oauth/installedLocations", userTypes: agencyOnly, scopes: []string{"oauth.readonly"},
		v3Removed: true, success: http.StatusOK, handle: s.installedLocations,
	})
	add(&endpoint{
		pattern: "POST /oauth/locationToken", userTypes: agencyOnly, scopes: []string{"oauth.write"},
		v3Removed: true, success: http.StatusOK, handle: s.locationToken,
	})
	add(&endpoint{
		pattern: "GET /locations/{locationId}", userTypes: []string{userCompany, userLocation}, scopes: []string{"locations.readonly"},
		success: http.StatusOK, handle: s.getLocation,
	})
	add(&endpoint{
		pattern: "DELETE /marketplace/app/{appId}/installations", userTypes: []string{userCompany, userLocation},
		scopes: []string{"oauth.write"}, success: http.StatusOK, handle: s.uninstall,
	})
	for _, rt := range saasRoutes {
		scopes := saasReadScopes
		if rt.write {
			scopes = saasWriteScopes
		}
		for _, deprecated := range []bool{false, true} {
			prefix, success := "/saas/", http.StatusOK
			if deprecated {
				prefix = "/saas-api/public-api/"
			} else if rt.method == http.MethodPost {
				success = http.StatusCreated // NestJS's default for POST; the spec's 201
			}
			add(&endpoint{
				pattern: rt.method + " " + prefix + rt.path, userTypes: agencyOnly, scopes: scopes,
				success: success, deprecated: deprecated,
				handle: func(c *apiCall) (any, error) { return rt.handle(s, c) },
			})
		}
	}
	for _, p := range []string{"/v2/oauth/chooselocation", "/oauth/chooselocation"} {
		mux.HandleFunc("GET "+p, s.consent)
		mux.HandleFunc("POST "+p, s.consent)
	}
	mux.HandleFunc("/", notFound)
	return mux
}

// notFound is NestJS's reply for an unknown route or method.
func notFound(w http.ResponseWriter, r *http.Request) {
	msg := "Cannot " + r.Method + " " + r.URL.Path
	writeJSON(w, http.StatusNotFound, nil, reasonedError(http.StatusNotFound, msg).body())
}
