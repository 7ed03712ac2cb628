package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	_ "modernc.org/sqlite" // "sqlite": the leak check and the audit tests read the store behind the programs' backs

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// stack is one running saasbridge: dev server, sandbox, starter and workers.
type stack struct {
	dir         string // logs and databases, kept under build/e2e for inspection
	binDir      string
	bins        map[string]string
	dev         *testsuite.DevServer
	cluster     *cluster // instead of dev, in cluster mode (SAASBRIDGE_E2E_CLUSTER=1)
	temporal    client.Client
	sandbox     *proc
	sandboxURL  string
	admin       *highlevelsim.AdminClient
	asURL       string
	asAdmin     *actionstepsim.AdminClient
	asClientID  string
	asSecret    string
	orgKey      string
	starter     *proc
	starterURL  string // the public listener
	operatorURL string // the operator listener
	codecToken  string
	workers     []*proc
	// workersStarted counts the worker processes ever started.
	workersStarted int
	clientID       string
	clientSecret   string
	companyID      string
	// spareCompanies are allowlisted agency ids no agency has yet: tests that connect
	// another agency create it under one of them (newAgency).
	spareCompanies []string
	nextSpare      atomic.Int32
	storeKey       string
	storePath      string

	cli          string
	temporalPort string
	uiPort       string // the Temporal Web UI, at http://127.0.0.1:<uiPort>
	// dataConverter decrypts payloads like the programs do.
	dataConverter converter.DataConverter
	// Webhook signing: the sandbox's public keys, and a key of the tests' own so they
	// can send crafted webhooks (bad signatures, load) straight to the starter.
	sandboxEd25519PEM string
	sandboxRSAPEM     string
	testEd25519PEM    string
	testEd25519Key    ed25519.PrivateKey
	billingSecret     string
	// stripeSecrets are the Stripe endpoint's signing secrets the starter accepts: an
	// old one still listed (a rotation) and the current one, which the sandbox signs with.
	stripeSecrets []string
}

// the shared stack of this package's tests; nil under -short.
var st *stack

func TestMain(m *testing.M) {
	flag.Parse()
	// -short, and the helper processes some tests start, run without a stack.
	if testing.Short() || os.Getenv(envStormChild) != "" {
		os.Exit(m.Run())
	}
	s, err := startStack()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start stack:", err)
		if s != nil {
			s.stop()
		}
		os.Exit(1)
	}
	st = s
	code := m.Run()
	if code == 0 {
		if err := s.checkLogsForTokens(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			code = 1
		}
	}
	s.stop()
	os.Exit(code)
}

// need skips a test in -short mode (make unit); otherwise the stack is running.
func need(tb testing.TB) *stack {
	tb.Helper()
	if st == nil {
		tb.Skip("end-to-end test: run without -short (make test)")
	}
	return st
}

func temporalCLI() (string, error) {
	path := os.Getenv("SAASBRIDGE_TEMPORAL_CLI")
	if path == "" {
		path = filepath.Join(repoRoot(), "bin", "temporal")
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("Temporal CLI not found at %s: run `make test`, which builds it", path)
	}
	return path, nil
}

func startStack() (*stack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	s := &stack{
		dir:           filepath.Join(repoRoot(), "build", "e2e", strconv.Itoa(os.Getpid())),
		clientID:      randHex(12) + "-" + strings.ToLower(randHex(4)),
		clientSecret:  randHex(16),
		storeKey:      base64.StdEncoding.EncodeToString(randBytes(32)),
		billingSecret: randHex(16),
		stripeSecrets: []string{"whsec_old" + randHex(16), "whsec_" + randHex(16)},
		asClientID:    "saasbridge-" + randHex(4),
		asSecret:      randHex(16),
		orgKey:        "e2eorg" + randHex(3),
		codecToken:    randHex(20),
	}
	for range 12 {
		s.spareCompanies = append(s.spareCompanies, "Spare"+randHex(8)[:15])
	}
	// Logs and databases stay in build/e2e/<pid> for inspection; each run has its own
	// folder (runs may overlap), and folders of runs over a day old are removed.
	pruneOldRuns(filepath.Dir(s.dir), 24*time.Hour)
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	s.storePath = filepath.Join(s.dir, "tokens.db")

	cli, err := temporalCLI()
	if err != nil {
		return nil, err
	}
	if s.binDir, err = os.MkdirTemp("", "saasbridge-e2e-bin-"); err != nil {
		return s, err
	}
	if s.bins, err = buildPrograms(s.binDir); err != nil {
		return s, err
	}

	// The starter's addresses are chosen first: the Web UI's codec endpoint points at
	// its operator listener.
	port, err := freePort()
	if err != nil {
		return s, err
	}
	opPort, err := freePort()
	if err != nil {
		return s, err
	}
	s.starterURL, s.operatorURL = "http://127.0.0.1:"+port, "http://127.0.0.1:"+opPort
	if err := s.startTemporal(ctx, cli); err != nil {
		return s, err
	}

	s.sandbox, err = startProc(s.dir, "sandbox", s.bins["sandbox"], []string{
		"SANDBOX_ADDR=127.0.0.1:0",
		"SANDBOX_HIGHLEVEL_CLIENT_ID=" + s.clientID,
		"SANDBOX_HIGHLEVEL_CLIENT_SECRET=" + s.clientSecret,
		"SANDBOX_AUTO_CONSENT=true",
		"SANDBOX_REQUIRE_PKCE=true",
		"SANDBOX_LOG_LEVEL=debug",
		"SANDBOX_WEBHOOK_RSA_BITS=2048",
		"SANDBOX_ACTIONSTEP_ADDR=127.0.0.1:0",
		"SANDBOX_ACTIONSTEP_CLIENT_ID=" + s.asClientID,
		"SANDBOX_ACTIONSTEP_CLIENT_SECRET=" + s.asSecret,
		"SANDBOX_ACTIONSTEP_SEED_ORG=" + s.orgKey,
		"SANDBOX_STRIPE_WEBHOOK_URL=" + s.starterURL + "/webhooks/stripe",
		"SANDBOX_STRIPE_WEBHOOK_SECRETS=" + s.stripeSecrets[1],
	})
	if err != nil {
		return s, err
	}
	addr, err := s.sandbox.waitLog(ctx, regexp.MustCompile(`sandbox highlevel listening on (http://[0-9.:]+)`))
	if err != nil {
		return s, err
	}
	s.sandboxURL = addr
	s.admin = &highlevelsim.AdminClient{BaseURL: addr}
	if s.asURL, err = s.sandbox.waitLog(ctx, regexp.MustCompile(`sandbox actionstep listening on (http://[0-9.:]+)`)); err != nil {
		return s, err
	}
	s.asAdmin = &actionstepsim.AdminClient{BaseURL: s.asURL}
	// The tests drive Actionstep harder than its default limit (300 a minute) allows.
	if _, err := s.asAdmin.SetRateLimit(ctx, stackActionstepLimit); err != nil {
		return s, fmt.Errorf("raise the Actionstep sandbox's rate limit: %w", err)
	}
	agency, err := s.admin.CreateAgency(ctx, highlevelsim.AgencySpec{Name: "E2E Agency"})
	if err != nil {
		return s, fmt.Errorf("seed agency: %w", err)
	}
	s.companyID = agency.Agency.ID

	if err := s.webhookKeys(ctx); err != nil {
		return s, err
	}
	s.starter, err = startProc(s.dir, "starter", s.bins["starter"], append(s.env(),
		"STARTER_LISTEN_ADDR=127.0.0.1:"+port, "STARTER_PUBLIC_URL="+s.starterURL, "STARTER_OPERATOR_ADDR=127.0.0.1:"+opPort), "serve")
	if err != nil {
		return s, err
	}
	if _, err := s.starter.waitLog(ctx, regexp.MustCompile(`starter listening`)); err != nil {
		return s, err
	}
	if err := s.connect(ctx, "highlevel", s.companyID); err != nil {
		return s, err
	}
	if err := s.connect(ctx, "actionstep", s.orgKey); err != nil {
		return s, err
	}
	// The sandbox delivers its webhooks to the starter, redelivering 429s quickly.
	retries := 100
	if _, err := s.admin.SetWebhookConfig(ctx, highlevelsim.WebhookConfig{
		URL: s.starterURL + "/webhooks/highlevel", RetryInterval: highlevelsim.Duration(500 * time.Millisecond), MaxRetries: &retries,
	}); err != nil {
		return s, fmt.Errorf("configure sandbox webhooks: %w", err)
	}
	// So does the agencies' Stripe account, retrying anything but a 2xx quickly.
	if _, err := s.admin.SetStripeConfig(ctx, highlevelsim.StripeConfig{
		URL: s.starterURL + "/webhooks/stripe", Secrets: s.stripeSecrets[1:], RetryInterval: highlevelsim.Duration(500 * time.Millisecond), MaxRetries: &retries,
	}); err != nil {
		return s, fmt.Errorf("configure the sandbox's Stripe: %w", err)
	}
	if err := s.startWorker(ctx); err != nil {
		return s, err
	}
	return s, nil
}

// startTemporal starts the dev server, file-backed on a fixed port so that a test can
// stop it and start it again (an outage) without anyone reconfiguring; in cluster mode,
// the cluster.
func (s *stack) startTemporal(ctx context.Context, cli string) error {
	if cli != "" {
		s.cli = cli
	}
	var err error
	if s.uiPort == "" {
		if s.uiPort, err = freePort(); err != nil {
			return err
		}
	}
	if s.dataConverter, err = temporalclient.PayloadConverter(config.Payloads{Keys: fixturePayloadKeys()}); err != nil {
		return err
	}
	if clusterMode {
		return s.startCluster(ctx)
	}
	if s.temporalPort == "" {
		if s.temporalPort, err = freePort(); err != nil {
			return err
		}
	}
	devLog, err := os.OpenFile(filepath.Join(s.dir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	extra := []string{"--dynamic-config-value", "system.forceSearchAttributesCacheRefreshOnRead=true",
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1", "--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
		// As make dev runs it (scripts/dev.sh): a step's task reaches its worker in a few
		// milliseconds rather than the ~50 the default poll rate costs (docs/cluster.md).
		"--dynamic-config-value", transferPollRPS, "--dynamic-config-value", fairness,
		"--ui-codec-endpoint", s.codecEndpoint()}
	for name, typ := range workflows.SearchAttributes() {
		extra = append(extra, "--search-attribute", name+"="+typ)
	}
	s.dev, err = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: s.cli,
		ClientOptions: &client.Options{
			HostPort:         "127.0.0.1:" + s.temporalPort,
			Logger:           log.NewStructuredLogger(discardSlog()),
			DataConverter:    s.dataConverter,
			FailureConverter: temporalclient.FailureConverter(s.dataConverter),
		},
		DBFilename: s.temporalDB(),
		EnableUI:   true,
		UIPort:     s.uiPort,
		LogLevel:   "error",
		ExtraArgs:  extra,
		Stdout:     devLog,
		Stderr:     devLog,
	})
	if err != nil {
		return fmt.Errorf("start Temporal dev server: %w", err)
	}
	s.temporal = s.dev.Client()
	return nil
}

// stackActionstepLimit is the Actionstep sandbox's limit on the e2e stack: out of the
// way, since the tests drive Actionstep harder than its default (300 a minute) allows;
// the workers' adaptive pacing (ACTIONSTEP_RATE_CEILING) is what spaces the calls.
var stackActionstepLimit = actionstepsim.RateLimit{Max: 100000, Window: actionstepsim.Duration(time.Minute)}

// transferPollRPS is the dev server's (and the cluster's) history transfer queue poll
// rate per shard, as scripts/dev.sh and deploy/cluster/dynamicconfig.yaml set it.
const transferPollRPS = "history.transferProcessorMaxPollRPS=200"

// fairness turns on matching's fairness, so that the agency each owner carries as its
// fairness key (workflows.LocationStartOptions) is served in turn, as scripts/dev.sh
// and deploy/cluster/dynamicconfig.yaml set it.
const fairness = "matching.enableFairness=true"

// temporalDB is the dev server's database file: file-backed so an outage test can
// restart it, except when benchmarking, where the in-memory store is the reference.
func (s *stack) temporalDB() string {
	if benchMode {
		return ""
	}
	return filepath.Join(s.dir, "temporal.db")
}

// webhookKeys reads the sandbox's public keys and makes the tests' own key.
func (s *stack) webhookKeys(ctx context.Context) error {
	keys, err := s.admin.WebhookKeys(ctx)
	if err != nil {
		return fmt.Errorf("sandbox webhook keys: %w", err)
	}
	s.sandboxEd25519PEM, s.sandboxRSAPEM = keys.Ed25519, keys.RSA
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	s.testEd25519Key = priv
	s.testEd25519PEM, err = highlevel.WebhookPublicKeyPEM(pub)
	return err
}

// env is the environment every saasbridge program gets.
func (s *stack) env() []string {
	return []string{
		"TEMPORAL_ADDRESS=" + s.frontendHostPort(),
		"TEMPORAL_NAMESPACE=default",
		"HIGHLEVEL_BASE_URL=" + s.sandboxURL,
		"HIGHLEVEL_AUTH_URL=" + s.sandboxURL + "/v2/oauth/chooselocation",
		"HIGHLEVEL_CLIENT_ID=" + s.clientID,
		"HIGHLEVEL_CLIENT_SECRET=" + s.clientSecret,
		"HIGHLEVEL_COMPANY_ID=" + s.companyID,
		"HIGHLEVEL_COMPANY_IDS=" + strings.Join(s.spareCompanies, ","),
		"STORE_DSN=" + s.storePath,
		"STORE_ENCRYPTION_KEY=" + s.storeKey,
		// The starter trusts the sandbox's webhook keys and the tests' own key.
		"HIGHLEVEL_WEBHOOK_ED25519_PUBLIC_KEYS=" + s.sandboxEd25519PEM + s.testEd25519PEM,
		"HIGHLEVEL_WEBHOOK_RSA_PUBLIC_KEYS=" + s.sandboxRSAPEM,
		"BILLING_WEBHOOK_SECRETS=" + s.billingSecret,
		"STRIPE_WEBHOOK_SECRETS=" + strings.Join(s.stripeSecrets, ","),
		"PAYLOAD_ENCRYPTION_KEYS=" + fixturePayloadKeys(),
		"CODEC_ALLOWED_ORIGINS=http://127.0.0.1:" + s.uiPort,
		"CODEC_AUTH_TOKEN=" + s.codecToken,
		// The simulators insist on PKCE (SANDBOX_REQUIRE_PKCE), so connects prove it.
		"HIGHLEVEL_OAUTH_PKCE=on",
		"ACTIONSTEP_OAUTH_PKCE=on",
		"STARTER_TEMPORAL_TIMEOUT=2s",
		"ACTIONSTEP_AUTH_URL=" + s.asURL + "/api/oauth/authorize",
		"ACTIONSTEP_TOKEN_URL=" + s.asURL + "/api/oauth/token",
		"ACTIONSTEP_CLIENT_ID=" + s.asClientID,
		"ACTIONSTEP_CLIENT_SECRET=" + s.asSecret,
		"ACTIONSTEP_ORG_KEY=" + s.orgKey,
		// Debug logs everything the programs can log: the leak check reads them all.
		"LOG_LEVEL=" + map[bool]string{false: "debug", true: "info"}[benchMode],
		"LOG_FORMAT=json",
		// A step retries for this long before the owner backs off and retries the
		// event whole: short, so outages longer than a step's budget fit in a test.
		"STEP_BUDGET=" + map[bool]string{false: "45s", true: "30m"}[benchMode],
	}
}

// codecEndpoint is what the Web UI is given: the operator listener's codec server with
// the token in its path (the dev server's UI signs nobody in, so it cannot send one).
func (s *stack) codecEndpoint() string { return s.operatorURL + "/codec/" + s.codecToken }

// connect runs a real OAuth flow: operator start page → public begin page → sandbox
// consent (auto) → public callback.
func (s *stack) connect(ctx context.Context, provider, want string) error {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.operatorURL+"/oauth/"+provider+"/start", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("connect %s: %w", provider, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("connect %s: %d %s", provider, resp.StatusCode, body)
	}
	return nil
}

// newAgency creates, in the sandbox, an agency saasbridge serves: it takes the next of
// the allowlisted spare ids.
func (s *stack) newAgency(ctx context.Context, t testing.TB, spec highlevelsim.AgencySpec) highlevelsim.CreatedAgency {
	t.Helper()
	i := int(s.nextSpare.Add(1)) - 1
	require.Less(t, i, len(s.spareCompanies), "out of allowlisted agency ids: add spares in startStack")
	spec.ID = s.spareCompanies[i]
	agency, err := s.admin.CreateAgency(ctx, spec)
	require.NoError(t, err)
	return agency
}

// startWorker starts one more worker process and waits until it polls.
func (s *stack) startWorker(ctx context.Context, extraEnv ...string) error {
	// Numbered by start, not by slot: a restarted worker gets a log of its own, so what
	// is read from a log is about the process running now.
	s.workersStarted++
	name := fmt.Sprintf("worker-%d", s.workersStarted)
	w, err := startProc(s.dir, name, s.bins["worker"], append(append(s.env(), "WORKER_HTTP_ADDR=127.0.0.1:0"), extraEnv...))
	if err != nil {
		return err
	}
	if _, err := w.waitLog(ctx, regexp.MustCompile(`worker started`)); err != nil {
		w.stop(10 * time.Second)
		return err
	}
	s.workers = append(s.workers, w)
	return nil
}

func (s *stack) stop() {
	for _, w := range s.workers {
		w.stop(10 * time.Second)
	}
	if s.starter != nil {
		s.starter.stop(10 * time.Second)
	}
	if s.sandbox != nil {
		s.sandbox.stop(10 * time.Second)
	}
	if s.dev != nil {
		_ = s.dev.Stop()
	}
	if s.cluster != nil {
		if s.temporal != nil {
			s.temporal.Close()
		}
		s.cluster.stop()
	}
	if s.binDir != "" {
		_ = os.RemoveAll(s.binDir)
	}
}

// checkLogsForTokens fails if any token the sandbox ever issued appears in any
// program's log.
func (s *stack) checkLogsForTokens() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	issued, err := s.issuedTokens(ctx)
	if err != nil {
		return err
	}
	if issued.len() == 0 {
		return errors.New("the sandbox issued no tokens: the leak check would prove nothing")
	}
	procs := append(append([]*proc{s.sandbox, s.starter}, s.workers...), s.cluster.processes()...)
	for _, p := range procs {
		if issued.foundIn(p.log()) {
			return fmt.Errorf("%s log (%s) contains an issued token", p.name, p.logPath)
		}
	}
	trail, err := s.auditText(ctx)
	if err != nil {
		return err
	}
	if trail == "" {
		return errors.New("the audit trail is empty: the leak check would prove nothing of it")
	}
	if issued.foundIn(trail) {
		return errors.New("the audit trail (audit_log in the store) contains an issued token")
	}
	return nil
}

// auditText is every column of every audit entry in the stack's store, as stored.
func (s *stack) auditText(ctx context.Context) (string, error) {
	db, err := sql.Open("sqlite", s.storePath)
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT seq, at, kind, action, location_id, company_id, workflow_id, run_id, attempt, detail, prev_hash, hash FROM audit_log`)
	if err != nil {
		return "", fmt.Errorf("read the audit trail: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var cols [12]sql.NullString
		ptrs := make([]any, len(cols))
		for i := range cols {
			ptrs[i] = &cols[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		for _, c := range cols {
			b.WriteString(c.String + "\x00")
		}
		b.WriteString("\n")
	}
	return b.String(), rows.Err()
}

// issuedTokens is every token either sandbox ever issued.
func (s *stack) issuedTokens(ctx context.Context) (*tokenSet, error) {
	hl, err := s.admin.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	as, err := s.asAdmin.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	// The stack's own secrets must not show either.
	return newTokenSet(slices.Concat(hl.All(), as.AccessTokens, as.RefreshTokens, s.stripeSecrets, []string{s.billingSecret})), nil
}

// fixturePayloadKeys are the payload keys of the e2e stack. They are fixed (and
// committed, in workflows/testdata) so that histories recorded here for the replay
// tests can be decrypted there; they protect nothing real.
func fixturePayloadKeys() string {
	b, err := os.ReadFile(filepath.Join(repoRoot(), "workflows", "testdata", "payload-keys.txt"))
	if err != nil {
		panic("read workflows/testdata/payload-keys.txt: " + err.Error())
	}
	return strings.TrimSpace(string(b))
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randHex(n int) string { return hex.EncodeToString(randBytes(n)) }

// openStore opens the programs' token store (read-only use in assertions).
func (s *stack) openStore(t testing.TB) *tokens.Store {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(s.storeKey)
	require.NoError(t, err)
	store, err := tokens.Open(context.Background(), s.storePath, key)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return store
}

func pruneOldRuns(dir string, age time.Duration) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && e.IsDir() && time.Since(info.ModTime()) > age {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// payloadCodec decrypts payloads like the programs' codec does.
func (s *stack) payloadCodec(t testing.TB) converter.PayloadCodec {
	t.Helper()
	keys, err := payloadcodec.ParseKeys(fixturePayloadKeys(), "")
	require.NoError(t, err)
	return payloadcodec.NewCodec(keys)
}

// quietLogger is the SDK logger of the tests' own clients.
func (s *stack) quietLogger() log.Logger { return log.NewStructuredLogger(discardSlog()) }
