// Package actionstepsim is a stateful, in-memory simulator of the parts of
// the Actionstep API that saasbridge uses: OAuth 2.0 (authorization code
// and rotating refresh tokens), and the REST resources to provision a
// client organisation and record its SaaS subscription on a matter. It
// follows the contract in shared/reference/actionstep-api.md (§7 is its
// checklist) and the recorded samples: same paths, headers, envelopes,
// wire quirks, status codes and error bodies. Behaviour the sources leave
// open is marked "simulator choice" where it is implemented.
//
// # OAuth
//
//	GET|POST /api/oauth/authorize   consent page → redirect_uri?code=…&state=…  (orgkey parameter picks the organisation)
//	POST     /api/oauth/token       form; client_id/client_secret in the form or HTTP Basic;
//	                                grant_type authorization_code (code, redirect_uri) or refresh_token
//
// A token reply is {"access_token","token_type":"bearer","expires_in":3600,
// "api_endpoint":"http://HOST/api/<orgkey>/","orgkey","refresh_token"}.
// Access tokens live AccessTokenTTL (60 min); refresh tokens are single use
// and die RefreshTokenTTL (21 days) after issue; a reused, unknown or
// expired one gets 400 {"error":"invalid_grant",…}. api_endpoint is on the
// host the token request came to; with endpoint rotation on, every refresh
// moves the organisation to "http://HOST/cluster<N>/api/<orgkey>/" and the
// previous endpoint answers 401 invalid_token, so clients must take
// api_endpoint from every token reply.
//
// # REST
//
// Every resource is at {api_endpoint}rest/<resource>[/<id>[,<id>…]] and
// needs "Authorization: Bearer <token>" of that organisation (anything else
// → 401 {"error":"invalid_token",…}; expired → 401 {"error":"expired_token",…}).
// Request bodies must be Content-Type application/vnd.api+json (else 415)
// wrapped in the resource name ({"participants":{…,"links":{…}}}, or an
// array of such objects); Accept, when sent, must allow that type (else
// 406). Replies are application/vnd.api+json:
//
//	{"links":{"<res>.<link>":{"href","type"}…}, "<res>": {…} or [{…},…], "linked":{"<res>":[…]}, "meta":{"paging":{"<res>":{recordCount,pageCount,page,pageSize,prevPage,nextPage}},"debug":{…}}}
//
// One record on the page is an object, several an array; an empty result
// and every DELETE are 204 without a body. Booleans are "T"/"F", link ids
// strings, record ids numbers except the composite ones
// (actionparticipants "action--participantType--participant",
// participantdefaulttypes "participant--participantType",
// datacollectionfields "dataCollection--name", datacollectionrecordvalues
// "dataCollection--fieldName--record"). GET takes filters (field=a,b,
// field_eq|nteq|in|ntin|lt|lteq|gt|gteq|like|ilike|ntlike|ntilike=v, nested
// link[field_op]=v, :NULL), sort=-a,b, page (1-based), pageSize (default
// 50, clamped to 200), include=link[.link] and fields[=|[res]=]a,b.
// Failures are the "errors" document: {"errors":{"id","links":{"about"},
// "status","code","title","detail","source":{"pointer","parameter"},"meta","rls"}}.
//
//	participants                 GET, POST, PUT
//	participanttypes             GET
//	participantdefaulttypes      GET, POST, DELETE
//	actiontypes                  GET
//	actioncreate                 POST; GET /actioncreate/{actionTypeId}
//	actions                      GET, PUT, PATCH (close a matter with status "Closed")
//	actionparticipants           GET, POST, DELETE
//	datacollections              GET, POST, PUT, DELETE
//	datacollectionfields         GET, POST, PUT, DELETE
//	datacollectionrecords        GET, POST, DELETE
//	datacollectionrecordvalues   GET, POST, PUT (PUT …/{id1},{id2} with an array)
//	filenotes, contactnotes      GET, POST, PUT, DELETE
//	resthooks                    GET, POST, PUT, DELETE; events are POSTed to targetUrl, any reply but 200 disables the hook
//	users                        GET, GET /users/current
//
// Scopes are enforced: a token needs "all" or the resource's name (403).
// Requests are limited per organisation and user (RateLimit, default 300
// a minute; 429 errors document, Retry-After only when configured), by a
// fixed limit or one that changes on a schedule the client cannot see.
//
// # Admin API
//
// JSON in and out, no authentication, separate from the API's paths.
// Errors are {"statusCode":N,"message":"…"}; unknown JSON members in
// requests are rejected; durations are Go duration strings ("10s").
// AdminClient wraps every endpoint; Server has the same operations as
// methods for in-process use.
//
//	GET    /_sandbox/healthz            → {"ok":true}
//	GET    /_sandbox/state              → State{orgs[OrgState]}
//	POST   /_sandbox/orgs               OrgSpec{orgKey?, name?, user?{firstName,lastName,email}, matterTypeName?, clientTypeName?,
//	                                    dataCollection?{name,label,description,multipleRecords,fields[{name,label,dataType}]}, noDataCollection?,
//	                                    startStep?{participantTypes[names], dataFields[names]}}
//	                                    → 201 Org{orgKey, name, apiPath, userId, userParticipantId, clientParticipantTypeId,
//	                                    matterTypeId, dataCollectionId, createdAt}
//	GET    /_sandbox/orgs/{orgkey}      → OrgState{Org…, participants, participantDefaultTypes, actions, actionParticipants,
//	                                    dataCollections, dataRecords, dataValues, fileNotes, contactNotes, resthooks,
//	                                    hookDeliveries, duplicateExternalReferences}
//	GET    /_sandbox/faults             → Faults
//	PUT    /_sandbox/faults             Faults{seed?, endpoints?, errorRate?, errorStatuses?, latency?, spikeRate?, spike?, burstRate?,
//	                                    burstLength?, burstRetryAfter?, dropAfterCommitRate?, rules?[Rule{endpoint?, orgKey?, status,
//	                                    message?, times?}]} → Faults (normalised)
//	DELETE /_sandbox/faults             → Faults (all off)
//	POST   /_sandbox/faults/rules       Rule → 201 Faults
//	GET    /_sandbox/ratelimit          → RateLimit{max, window, retryAfter, schedule?[RatePhase{max, window, for}]}
//	PUT    /_sandbox/ratelimit          RateLimit (zero fields = defaults; usage is cleared) → RateLimit
//	POST   /_sandbox/tokens/expire      TokenFilter{orgKey?, refreshTokens?} (body optional) → ExpireResult{expired, refreshExpired}
//	GET    /_sandbox/tokens             → IssuedTokens{accessTokens[], refreshTokens[]} (every token ever issued)
//	GET    /_sandbox/endpoint-rotation  → {"enabled":bool}
//	PUT    /_sandbox/endpoint-rotation  {"enabled":bool} → {"enabled":bool}
//	GET    /_sandbox/readings           → Readings{values, filters, fileReference, startStep, wildcard}
//	PUT    /_sandbox/readings           Readings (empty fields = defaults) → Readings (normalised)
//	GET    /_sandbox/calls              → CallReport{total, tooManyRequests, dropped, byEndpoint, byScope (orgkey), calls[]}
//	DELETE /_sandbox/calls              → 204
//
// # Readings
//
// Where the documentation leaves a doubt the simulator offers both
// readings (Readings): the lenient one by default, the one hardest on a
// client with "hostile" (SANDBOX_ACTIONSTEP_READINGS=hostile, Hostile(),
// or PUT /_sandbox/readings):
//
//	values         withRecord | lazy          a record's values exist at once, or only once POSTed
//	filters        reject | ignore            unknown filters are 400, or undocumented ones are silently dropped
//	fileReference  copy | ignore | autonumber actioncreate's fileReference becomes the reference, or not
//	startStep      lenient | enforced         actioncreate needs only name and type, or the start step's requirements
//	wildcard       any | star                 like takes '*' and '%', or only the documented '*'
//
// Endpoint templates in the call report and fault rules are relative to
// api_endpoint ("POST /rest/participants", "PUT /rest/actions/{id}",
// "GET /rest/users/current") or the OAuth paths ("POST /api/oauth/token").
// A new organisation has its API user (and that user's contact), the
// participant types "Client" and "Client_Primary_Contact", the matter
// types "SaaS Subscription" (primary participant type Client) and
// "General Matter", and the single-record data collection
// "saas_subscription" on the first with fields plan, status,
// subscription_id (Str255) and last_change (DateTime). Tokens look like
// "assim_at_…" and "assim_rt_…" so leak tests can search for them.
package actionstepsim
