package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/actionstepsetup"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// doctor checks a running deployment item by item, with the configuration the starter
// runs with, and prints a checklist with a fix for every failure. It fails (exit 1)
// unless every item passes. It changes nothing but credentials: it refreshes the
// HighLevel agency's (which proves refreshing works), and Actionstep's when it is due.
func doctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 20*time.Second, "how long each check may take")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	cfg, err := config.LoadStarter()
	if err != nil {
		printCheck(stdout, "configuration", checkResult{detail: err.Error(), fix: []string{"set the variables named above (see .env.example)"}})
		return errors.New("doctor: the configuration does not load")
	}
	d := &doctorRun{cfg: cfg, timeout: *timeout}
	defer d.close()
	failed := 0
	checks := d.checks()
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, d.timeout)
		r := c.run(cctx)
		cancel()
		printCheck(stdout, c.name, r)
		if !r.ok {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d checks failed\n", failed, len(checks))
		return fmt.Errorf("doctor: %d of %d checks failed", failed, len(checks))
	}
	fmt.Fprintf(stdout, "all %d checks passed\n", len(checks))
	return nil
}

// checkResult is one item of the checklist: what was found, or what is wrong and the
// lines that fix it.
type checkResult struct {
	ok     bool
	detail string
	fix    []string
}

func pass(format string, args ...any) checkResult {
	return checkResult{ok: true, detail: fmt.Sprintf(format, args...)}
}

func fail(detail string, fix ...string) checkResult { return checkResult{detail: detail, fix: fix} }

func printCheck(w io.Writer, name string, r checkResult) {
	mark := "✗"
	if r.ok {
		mark = "✓"
	}
	fmt.Fprintf(w, "%s %s: %s\n", mark, name, r.detail)
	for _, f := range r.fix {
		fmt.Fprintf(w, "    fix: %s\n", f)
	}
}

type doctorCheck struct {
	name string
	run  func(context.Context) checkResult
}

// doctorRun holds what the checks share: the configuration and a Temporal client, dialled
// by the first check.
type doctorRun struct {
	cfg      config.Starter
	timeout  time.Duration
	temporal client.Client
}

func (d *doctorRun) close() {
	if d.temporal != nil {
		d.temporal.Close()
	}
}

func (d *doctorRun) checks() []doctorCheck {
	return []doctorCheck{
		{"Temporal reachable", d.checkTemporal},
		{"search attributes", d.checkSearchAttributes},
		{"schedules", d.checkSchedules},
		{"HighLevel agency", d.checkHighLevel},
		{"Actionstep organisation", d.checkActionstep},
		{"webhook keys", d.checkWebhookKeys},
		{"codec server", d.checkCodec},
	}
}

func (d *doctorRun) checkTemporal(ctx context.Context) checkResult {
	t := d.cfg.Temporal
	c, err := temporalclient.Dial(ctx, t, zap.NewNop(), temporalclient.Deps{})
	if err == nil {
		_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: t.Namespace})
		if err != nil {
			c.Close()
		}
	}
	if err != nil {
		return fail(err.Error(), fmt.Sprintf("start Temporal at %s, or set TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the TLS or API key settings", t.Address))
	}
	d.temporal = c
	return pass("%s, namespace %s", t.Address, t.Namespace)
}

// notChecked is the result of a check that needs Temporal when it is unreachable.
var notChecked = fail("not checked: Temporal is unreachable", "fix the Temporal check first")

func (d *doctorRun) checkSearchAttributes(ctx context.Context) checkResult {
	if d.temporal == nil {
		return notChecked
	}
	want := workflows.SearchAttributes()
	missing, err := temporalclient.MissingSearchAttributes(ctx, d.temporal, d.cfg.Temporal.Namespace, want)
	if err != nil {
		return fail(err.Error(), "check that the namespace exists and this identity may list its search attributes")
	}
	if len(missing) == 0 {
		return pass("all %d present (%s)", len(want), strings.Join(slices.Sorted(maps.Keys(want)), ", "))
	}
	names := make([]string, len(missing))
	var fixes []string
	for i, a := range missing {
		names[i] = a.String()
		if a.Found != "" {
			fixes = append(fixes, fmt.Sprintf("%s has the wrong type: remove it (temporal operator search-attribute remove --name %s) and create it as %s", a.Name, a.Name, a.Type))
		}
	}
	fixes = append(temporalclient.CreateCommands(d.cfg.Temporal, missing), fixes...)
	return fail("namespace "+d.cfg.Temporal.Namespace+" lacks "+strings.Join(names, ", "), fixes...)
}

func (d *doctorRun) checkSchedules(ctx context.Context) checkResult {
	if d.temporal == nil {
		return notChecked
	}
	var found, problems []string
	paused := false
	for _, id := range []string{workflows.ReconcileScheduleID, workflows.UpkeepScheduleID} {
		// The raw call: the SDK's Describe decodes the (encrypted) payloads, which this
		// check needs no key for.
		desc, err := d.temporal.WorkflowService().DescribeSchedule(ctx, &workflowservice.DescribeScheduleRequest{
			Namespace: d.cfg.Temporal.Namespace, ScheduleId: id,
		})
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			problems = append(problems, id+" is missing")
		case err != nil:
			problems = append(problems, id+": "+err.Error())
		case desc.GetSchedule().GetState().GetPaused():
			problems, paused = append(problems, id+" is paused"), true
		default:
			found = append(found, id)
		}
	}
	if len(problems) > 0 {
		fix := []string{"starter schedules apply"}
		if paused {
			fix = append(fix, "unpause it: temporal schedule toggle --unpause --reason doctor --schedule-id <id>")
		}
		return fail(strings.Join(problems, "; "), fix...)
	}
	return pass("%s", strings.Join(found, ", "))
}

func (d *doctorRun) checkHighLevel(ctx context.Context) checkResult {
	connect := d.cfg.OperatorURL() + "/oauth/highlevel/start"
	store, err := deps.OpenStore(ctx, d.cfg.Store, zap.NewNop())
	if err != nil {
		return fail("open the token store: "+err.Error(), "check STORE_DSN and STORE_ENCRYPTION_KEY")
	}
	defer store.Close()
	key, err := d.agencyKey(ctx, store)
	if err != nil {
		return fail(err.Error(), "connect the agency at "+connect)
	}
	_, info, err := store.Get(ctx, key)
	if err != nil {
		return fail(fmt.Sprintf("no credential for %s: %v", key, err), "connect the agency at "+connect)
	}
	granted := strings.Fields(info.Attrs[credentials.AttrScope])
	var lacking []string
	for _, s := range d.cfg.HighLevel.Scopes {
		if !slices.Contains(granted, s) {
			lacking = append(lacking, s)
		}
	}
	if len(lacking) > 0 {
		return fail(fmt.Sprintf("%s was not granted %s", key, strings.Join(lacking, " ")),
			"add the scopes to the marketplace app, then reconnect at "+connect)
	}
	hl, err := highlevel.New(d.cfg.HighLevel.BaseURL, d.cfg.HighLevel.ClientID, d.cfg.HighLevel.ClientSecret,
		highlevel.WithHTTPClient(&http.Client{Timeout: d.cfg.HighLevel.RequestTimeout}))
	if err != nil {
		return fail(err.Error(), "check HIGHLEVEL_BASE_URL")
	}
	if _, err := store.Refresh(ctx, key, credentials.HighLevelRefresher(hl), ""); err != nil {
		return fail("refresh failed: "+err.Error(), "check HIGHLEVEL_CLIENT_ID and HIGHLEVEL_CLIENT_SECRET, or reconnect at "+connect)
	}
	return pass("%s connected with the %d scopes, refresh works", key, len(d.cfg.HighLevel.Scopes))
}

// agencyKey is the credential of HIGHLEVEL_COMPANY_ID, or of the one connected agency.
func (d *doctorRun) agencyKey(ctx context.Context, store *tokens.Store) (string, error) {
	if d.cfg.CompanyID != "" {
		return tokens.KeyHighLevelAgency(d.cfg.CompanyID), nil
	}
	infos, err := store.List(ctx)
	if err != nil {
		return "", err
	}
	var keys []string
	for _, i := range infos {
		if i.Kind == tokens.KindHighLevelAgency {
			keys = append(keys, i.Key)
		}
	}
	if len(keys) != 1 {
		return "", fmt.Errorf("%d agencies connected and HIGHLEVEL_COMPANY_ID is not set", len(keys))
	}
	return keys[0], nil
}

func (d *doctorRun) checkActionstep(ctx context.Context) checkResult {
	org, err := openActionstep(ctx, d.cfg)
	if err != nil {
		return fail(err.Error(), "check the ACTIONSTEP_* settings")
	}
	defer org.close()
	info, err := org.connected(ctx)
	if err != nil {
		return fail(err.Error(), "connect at "+d.cfg.OperatorURL()+"/oauth/actionstep/start")
	}
	endpoint := info.Attrs[credentials.AttrAPIEndpoint]
	if _, err := org.api.CurrentUser(ctx); err != nil {
		return fail(fmt.Sprintf("api_endpoint %q does not answer: %v", endpoint, err),
			"reconnect at "+d.cfg.OperatorURL()+"/oauth/actionstep/start")
	}
	r, err := actionstepsetup.Inspect(ctx, org.api, org.want)
	if err != nil {
		return fail("inspect the organisation: "+err.Error(), "check the ACTIONSTEP_* settings and the credential's scopes")
	}
	if probs := r.Problems(); len(probs) > 0 {
		var what, fixes []string
		for _, p := range probs {
			what = append(what, p.What)
			if !slices.Contains(fixes, p.Fix) {
				fixes = append(fixes, p.Fix)
			}
		}
		return fail(strings.Join(what, "; "), fixes...)
	}
	return pass("%s at %s; matter type %q, participant type %q, data collection %q with %s", d.cfg.Actionstep.OrgKey, endpoint,
		org.want.MatterType, org.want.ClientType, org.want.DataCollection, fieldNames(org.want.Fields))
}

func fieldNames(fs []actionstepsetup.Field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func (d *doctorRun) checkWebhookKeys(context.Context) checkResult {
	_, err := highlevel.NewWebhookVerifier(d.cfg.WebhookEd25519Keys, d.cfg.WebhookRSAKeys, d.cfg.WebhookMaxAge, time.Now)
	if err != nil {
		return fail("HighLevel webhook keys: "+err.Error(), "set HIGHLEVEL_WEBHOOK_ED25519_PUBLIC_KEYS and HIGHLEVEL_WEBHOOK_RSA_PUBLIC_KEYS to PEM public keys, or leave both empty for HighLevel's published keys")
	}
	if len(d.cfg.BillingSecrets) == 0 {
		return fail("BILLING_WEBHOOK_SECRETS is empty: billing events are refused", "set BILLING_WEBHOOK_SECRETS to the billing system's signing secret (16 characters or more)")
	}
	keys := "HighLevel's published keys"
	if n := len(d.cfg.WebhookEd25519Keys) + len(d.cfg.WebhookRSAKeys); n > 0 {
		keys = fmt.Sprintf("%d configured keys", n)
	}
	return pass("HighLevel webhooks verified with %s; billing events with %d secret(s)", keys, len(d.cfg.BillingSecrets))
}

// checkCodec encodes a payload through the codec server and decodes it with the keys
// here, and the other way round: both sides must hold the same keys.
func (d *doctorRun) checkCodec(context.Context) checkResult {
	endpoint := d.cfg.OperatorURL() + "/codec"
	keys, err := payloadcodec.ParseKeys(d.cfg.Payloads.Keys, d.cfg.Payloads.KeyID)
	if err != nil {
		return fail(err.Error(), "set PAYLOAD_ENCRYPTION_KEYS as id:base64key,…")
	}
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: endpoint, Client: http.Client{Timeout: d.timeout},
		ModifyRequest: func(r *http.Request) error {
			if len(d.cfg.CodecTokens) > 0 {
				r.Header.Set("Authorization", "Bearer "+string(d.cfg.CodecTokens[0]))
			}
			return nil
		},
	})
	if err := roundTrip(remote, payloadcodec.NewCodec(keys)); err != nil {
		return fail(fmt.Sprintf("%s: %v", endpoint, err),
			"run `starter serve` with its operator listener at STARTER_OPERATOR_ADDR, with the same PAYLOAD_ENCRYPTION_KEYS (and CODEC_AUTH_TOKEN) as here")
	}
	return pass("%s encodes and decodes with these payload keys", endpoint)
}

// roundTrip checks that what one codec encodes the other decodes, both ways.
func roundTrip(a, b converter.PayloadCodec) error {
	p, err := converter.GetDefaultDataConverter().ToPayload("saasbridge doctor")
	if err != nil {
		return err
	}
	for _, pair := range [][2]converter.PayloadCodec{{a, b}, {b, a}} {
		enc, err := pair[0].Encode([]*commonpb.Payload{p})
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		dec, err := pair[1].Decode(enc)
		if err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if len(dec) != 1 || string(dec[0].GetData()) != string(p.GetData()) {
			return errors.New("a payload did not survive encoding and decoding: the keys differ")
		}
	}
	return nil
}
