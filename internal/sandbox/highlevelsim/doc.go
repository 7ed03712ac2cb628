// Package highlevelsim is a stateful, in-memory simulator of the parts of
// the HighLevel (GoHighLevel / LeadConnector) API v2 that saasbridge uses:
// OAuth (consent, token, installedLocations, locationToken), the SaaS API,
// app uninstall, and the signed webhooks HighLevel sends to the app. It follows the contract in
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
//	GET    /locations/{locationId}                              Company or Location token, scope locations.readonly; the business profile
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
// # Webhooks
//
// With a delivery URL configured (Options.Webhooks or PUT
// /_sandbox/webhooks/config), the simulator POSTs INSTALL, UNINSTALL,
// LocationCreate and LocationUpdate events (reference §5) to it: compact
// JSON as HighLevel sends it (no HTML escaping), members in the documented
// order, plus a top-level "timestamp" (ISO-8601, from Options.Now) and a
// fresh "webhookId" (UUID). The exact body bytes are signed with the
// simulator's own keys, generated at start (the RSA one lazily, see
// Options.WebhookRSABits) and published by GET /_sandbox/webhooks/keys:
// Ed25519 in x-ghl-signature and RSA PKCS#1 v1.5 SHA-256 in x-wh-signature,
// both base64 (§5.6).
//
// Delivery follows §5.7: only a 429 is retried, with the same bytes,
// webhookId and signatures, after RetryInterval ±10% jitter (real clock),
// at most MaxRetries times; any other status (redirects are not followed),
// a timeout or a connection error is final. Each delivery runs in its own
// goroutine, at most 64 POSTs at a time, and keeps the configuration in
// force when it was emitted; Server.Close stops them all.
//
// Events are emitted:
//   - by POST /_sandbox/webhooks/send, built from current state (no state change);
//   - by the uninstall API: UNINSTALL with locationId, or with companyId for an agency;
//   - by admin changes that say "webhooks":true: POST /_sandbox/agencies and
//     POST /_sandbox/locations emit LocationCreate and, where installed,
//     INSTALL (location form) per new location; PATCH /_sandbox/locations/{id}
//     emits LocationUpdate, then INSTALL or UNINSTALL when "installed" flips.
//     Without the flag admin changes emit nothing;
//   - by POST /_sandbox/webhooks/bulk-install: one INSTALL per location with
//     "isBulkInstallation":true.
//
// Without a URL automatic events are skipped silently, while send and
// bulk-install answer 409. The consent page emits nothing.
//
// # Stripe
//
// An agency in SaaS mode bills its locations through its own Stripe account, which
// HighLevel follows. The simulator keeps those accounts' subscriptions (stripe.go):
// update-saas-subscription attaches a subscription Stripe knows with its status, price
// and the agency plan of that price (one of another customer is refused, 400); one
// Stripe does not know is attached as given, active, plan unchanged. enable-saas and
// bulk-enable-saas with a saasPlanId pre-configure a subscription on the plan's price,
// trialing for the plan's trial period. POST /_sandbox/stripe/send changes a
// subscription as Stripe would (a change older than the subscription's last is
// recorded in the event but not applied), brings the locations it is attached to in
// line (the agency's own pause keeps their status "paused") and delivers the event,
// shaped like Stripe's (API 2025-08-27.basil unless apiVersion says; invoices of
// versions before 2025-03-31 name their subscription at the top level), to the
// configured endpoint with Stripe-Signature: t=<seconds>,v1=<hex HMAC-SHA256 of
// "t.body"> per secret, signed afresh on every attempt. Every answer but a 2xx is
// retried after retryInterval, up to maxRetries times; deliveries appear in the
// webhook delivery log under the event id.
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
//	GET    /_sandbox/calls            → CallReport{total, tooManyRequests, dropped, byEndpoint, byScope (location, else company), calls[]}
//	DELETE /_sandbox/calls            → 204
//	GET    /_sandbox/webhooks/keys    → WebhookKeys{ed25519, rsa} (PEM SPKI public keys)
//	GET    /_sandbox/webhooks/config  → WebhookConfig
//	PUT    /_sandbox/webhooks/config  WebhookConfig{url, retryInterval?, maxRetries?, signRSA?, signEd25519?, timeout?}
//	                                  (omitted = 10m, 6, true, true, 10s) → WebhookConfig (normalised)
//	POST   /_sandbox/webhooks/send    {type, locationId?, companyId?, ...overrides} → 202 SentWebhook{webhookId, body}
//	                                  overrides replace or add payload members, null removes one; "timestamp" and
//	                                  "webhookId" may be overridden to test stale and duplicate events
//	POST   /_sandbox/webhooks/bulk-install BulkInstallRequest{companyId, count (≤ 10000) | locationIds}
//	                                  → 201 BulkInstallResult{locations[], webhookIds[]}
//	GET    /_sandbox/webhooks/deliveries → WebhookReport{total, byOutcome, deliveries[{webhookId, type, locationId?,
//	                                  companyId?, url, body, attempts[{time, status?, error?}], outcome}]}
//	DELETE /_sandbox/webhooks/deliveries → 204
//	GET    /_sandbox/stripe/config    → StripeConfig{url, secrets[], retryInterval, maxRetries, timeout}
//	PUT    /_sandbox/stripe/config    StripeConfig (a url needs a secret; omitted = 1m, 6, 10s) → StripeConfig
//	POST   /_sandbox/stripe/send      StripeSendRequest{type, eventId?, locationId? | companyId, customerId?, subscriptionId?,
//	                                  status?, planId? | priceId?, metadata?, created?, apiVersion?}
//	                                  → 202 SentStripeEvent{eventId, subscriptionId, customerId, body, redelivery?, subscription?};
//	                                  an eventId sent before re-sends its exact bytes and changes nothing
//	GET    /_sandbox/stripe/subscriptions → {"subscriptions":[StripeSubscription]}
//
// Outcomes: pending, delivered (2xx), gave_up (429 to every attempt),
// rejected (any other status), transport_error (timeout, refused, reset),
// cancelled (Server.Close). AgencySpec, AddLocationsRequest and
// LocationPatch take "webhooks":true to emit events (see Webhooks); the
// send request is the one admin body that accepts any member.
//
// Locations have 20-character ids; agencies get two SaaS plans each and
// the Pro plan "agency_monthly_497" unless told otherwise. Tokens look like
// "hlsim_at_…" and "hlsim_rt_…" so leak tests can search for them. Plan prices
// and products are Stripe ids ("price_1…", "prod_…").
package highlevelsim
