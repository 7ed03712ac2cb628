// Package highlevelsim is a stateful, in-memory simulator of the parts of
// the HighLevel (GoHighLevel / LeadConnector) API v2 that saasbridge uses:
// OAuth (consent, token, installedLocations, locationToken), the SaaS API,
// and app uninstall. It follows the contract in
// shared/reference/highlevel-api.md and the vendor OpenAPI files: same
// paths, headers, bodies, status codes and NestJS-style error bodies
// ({"statusCode":N,"message":string|string[],"error":reason}). Behaviour the
// docs leave open is marked "simulator choice" where it is implemented.
//
// # HighLevel routes
//
//	GET|POST /v2/oauth/chooselocation, /oauth/chooselocation   consent page → redirect_uri?code=…&state=…
//	POST   /oauth/token                                         form or JSON; authorization_code → Company token; refresh_token rotates
//	GET    /oauth/installedLocations                            Company token, scope oauth.readonly
//	POST   /oauth/locationToken                                 Company token, scope oauth.write; form or JSON
//	DELETE /marketplace/app/{appId}/installations               Company or Location token, scope oauth.write
//	/saas/… and /saas-api/public-api/…                          the eleven SaaS endpoints, Company token, saas/* scope
//
// Every route except /oauth/token and the consent page needs a Version
// header (2021-04-15, 2021-07-28 or 2023-02-21; missing → 400 "Version
// header was not found") and a bearer access token (missing or unknown →
// 401 "Invalid JWT"; expired or revoked → 401 "Invalid token: access token
// is invalid"). A token of the wrong class or without the endpoint's scope
// gets 401. Authenticated replies carry HighLevel's five X-RateLimit-*
// headers; the limit is per (client, resource), the resource being the
// token's location for Location tokens and its company for Company tokens.
// Over the limit: 429 {"statusCode":429,"message":"Too Many Requests"} with
// Retry-After in whole seconds.
//
// A location is "not active" (refresh and locationToken answer 400
// "Location is not active") when its admin Active flag is off, when it is
// paused, or when its subscription status is incomplete, paused, canceled
// or unpaid (reference §1.2). Refresh tokens are single use; a refusal for
// an inactive location does not use the token up.
//
// # Admin API
//
// JSON in and out, no authentication. Errors are {"statusCode":N,"message":"…"}.
// Unknown JSON members in requests are rejected. Durations are Go duration
// strings ("10s"). AdminClient wraps every endpoint; Server has the same
// operations as methods for in-process use.
//
//	GET    /_sandbox/healthz          → {"ok":true}
//	GET    /_sandbox/state            → State{app, agencies[], locations[]} (no tokens)
//	POST   /_sandbox/agencies         AgencySpec{id?, name?, plan?, installToFutureLocations?, locations?[LocationSpec], locationCount?}
//	                                  → 201 CreatedAgency{agency, locations[]}
//	PATCH  /_sandbox/agencies/{id}    AgencyPatch{name?, plan?, installToFutureLocations?} → Agency
//	POST   /_sandbox/locations        AddLocationsRequest{companyId, locations?[LocationSpec], count?} → 201 {"locations":[Location]}
//	PATCH  /_sandbox/locations/{id}   LocationPatch{name?, email?, address?, active?, installed?, saasMode?, subscriptionId?,
//	                                  customerId?, priceId?, saasPlanId?, productId?, subscriptionStatus?, paused?} → Location
//	GET    /_sandbox/faults           → Faults
//	PUT    /_sandbox/faults           Faults{seed?, endpoints?, errorRate?, errorStatuses?, latency?, spikeRate?, spike?,
//	                                  burstRate?, burstLength?, burstRetryAfter?, dropAfterCommitRate?, rules?[Rule]} → Faults (normalised)
//	DELETE /_sandbox/faults           → Faults (all off)
//	POST   /_sandbox/faults/rules     Rule{endpoint?, locationId?, status, message?, times?} → 201 Faults
//	GET    /_sandbox/ratelimit        → RateLimit{max, window, daily}
//	PUT    /_sandbox/ratelimit        RateLimit (zero fields = defaults; usage is cleared) → RateLimit
//	POST   /_sandbox/tokens/expire    TokenFilter{companyId?, locationId?} (body optional) → {"expired":N}
//	GET    /_sandbox/tokens           → IssuedTokens{accessTokens[], refreshTokens[]} (every token ever issued)
//	GET    /_sandbox/calls            → CallReport{total, tooManyRequests, dropped, byEndpoint, byResource, calls[]}
//	DELETE /_sandbox/calls            → 204
//
// Locations have 20-character ids; agencies get two SaaS plans each and
// the Pro plan "agency_monthly_497" unless told otherwise. Tokens look like
// "hlsim_at_…" and "hlsim_rt_…" so leak tests can search for them.
package highlevelsim
