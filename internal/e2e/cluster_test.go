package e2e

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// clusterMode (SAASBRIDGE_E2E_CLUSTER=1, set by make chaos) runs the stack on a real
// Temporal cluster instead of the dev server: PostgreSQL and the schemas prepared by
// scripts/cluster.sh, and frontend, history, matching and worker as four processes of the
// harness, so that a test can kill one and start it again.
var clusterMode = os.Getenv("SAASBRIDGE_E2E_CLUSTER") == "1"

// clusterPorts is the block of consecutive ports deploy/cluster/cluster.yaml takes from
// TEMPORAL_PORT on; the gRPC ports of frontend, history and matching are its first three.
const clusterPorts = 13

// grpcPortOffset is each service's gRPC port relative to TEMPORAL_PORT, and healthName the
// name it reports SERVING under on the gRPC health service (the names are Temporal's own:
// service/history/handler.go and service/matching/handler.go). The worker service serves
// no gRPC.
var (
	grpcPortOffset = map[string]int{"frontend": 0, "history": 1, "matching": 2}
	healthName     = map[string]string{
		"frontend": "temporal.api.workflowservice.v1.WorkflowService",
		"history":  "temporal.api.workflowservice.v1.HistoryService",
		"matching": "temporal.api.workflowservice.v1.MatchingService",
	}
)

// clusterServices are the cluster's server processes.
var clusterServices = []string{"frontend", "history", "matching", "worker"}

// cluster is a Temporal cluster whose processes the harness runs.
type cluster struct {
	dir   string
	env   []string // scripts/cluster.sh's settings: ports, database, PostgreSQL
	port  int      // TEMPORAL_PORT: the frontend's gRPC port
	procs map[string]*proc
}

// startCluster starts the cluster on first use (fresh databases, namespace and search
// attributes registered, Web UI) and, after stopTemporal, starts its services again.
func (s *stack) startCluster(ctx context.Context) error {
	if s.cluster == nil {
		c, err := newCluster(ctx, s.dir, s.bins["starter"], s.uiPort, s.starterURL+"/codec")
		if c != nil {
			s.cluster = c // stopped by s.stop, whether it started or not
		}
		if err != nil {
			return err
		}
		s.temporalPort = strconv.Itoa(c.port)
		s.temporal, err = client.Dial(client.Options{
			HostPort: c.frontend(), Logger: s.quietLogger(), DataConverter: s.dataConverter,
		})
		return err
	}
	return s.cluster.start(ctx, clusterServices...)
}

func newCluster(ctx context.Context, dir, starterBin, uiPort, codecURL string) (*cluster, error) {
	port, err := freePortBlock(clusterPorts)
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, port: port, procs: map[string]*proc{}, env: []string{
		"TEMPORAL_PORT=" + strconv.Itoa(port),
		"TEMPORAL_UI_PORT=" + uiPort,
		"TEMPORAL_UI_CODEC_ENDPOINT=" + codecURL,
		"TEMPORAL_NAMESPACE=default",
		"TEMPORAL_DB=" + fmt.Sprintf("saasbridge_e2e_%d", os.Getpid()),
		"SAASBRIDGE_CLUSTER_DIR=" + dir,
		"SAASBRIDGE_STARTER_BIN=" + starterBin,
	}}
	// The PostgreSQL server of `make test` and `make chaos` when there is one; else the
	// script's own (that of `make cluster`), where this run's databases are dropped after it.
	if pg := postgresPort(os.Getenv("SAASBRIDGE_TEST_POSTGRES_DSN")); pg != "" {
		c.env = append(c.env, "SAASBRIDGE_PG_PORT="+pg)
	}
	if err := c.script(ctx, "drop"); err != nil { // a crashed run with the same PID
		return nil, err
	}
	if err := c.script(ctx, "prepare"); err != nil {
		return nil, err
	}
	if err := c.start(ctx, clusterServices...); err != nil {
		return c, err
	}
	if err := c.script(ctx, "register"); err != nil {
		return c, err
	}
	return c, c.start(ctx, "ui")
}

func (c *cluster) frontend() string { return "127.0.0.1:" + strconv.Itoa(c.port) }

// script runs scripts/cluster.sh with the cluster's settings.
func (c *cluster) script(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, clusterScript(), args...)
	cmd.Env = append(os.Environ(), c.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/cluster.sh %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func clusterScript() string { return filepath.Join(repoRoot(), "scripts", "cluster.sh") }

// start starts processes of the cluster (services, or "ui") and waits until they serve.
// They start together: a service joins the membership ring through the members recorded
// in the database, and one started alone after a full stop waits out the dead ones (about
// 45 s) before it serves. Only the frontend goes first, until it listens: by then it has
// written the cluster's metadata, which processes starting on a fresh database at the
// same moment would race to write (the losers exit).
func (c *cluster) start(ctx context.Context, services ...string) error {
	for _, svc := range services {
		p, err := startProc(c.dir, "temporal-"+svc, clusterScript(), c.env, "run", svc)
		if err != nil {
			return err
		}
		c.procs[svc] = p
		if svc == "frontend" {
			if err := c.waitListening(ctx, svc); err != nil {
				return err
			}
		}
	}
	for _, svc := range services {
		if err := c.waitServing(ctx, svc); err != nil {
			return err
		}
	}
	return nil
}

// processes are the cluster's processes (none without a cluster), whose logs the leak
// check reads with the programs'.
func (c *cluster) processes() []*proc {
	if c == nil {
		return nil
	}
	var out []*proc
	for _, p := range c.procs {
		out = append(out, p)
	}
	return out
}

// kill kills one service with SIGKILL: no chance to hand over its shards or task queues.
func (c *cluster) kill(service string) { c.procs[service].kill() }

// waitServing waits until a service reports SERVING on the gRPC health service (history
// does once it owns its shards); the worker service and the UI have nothing to ask.
func (c *cluster) waitServing(ctx context.Context, service string) error {
	name, ok := healthName[service]
	if !ok {
		return nil
	}
	p := c.procs[service]
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	addr := "127.0.0.1:" + strconv.Itoa(c.port+grpcPortOffset[service])
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	for {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("temporal %s exited (%w) while starting:\n%s", service, p.err, tail(p.log(), 2000))
		case <-ctx.Done():
			return fmt.Errorf("temporal %s is not serving on %s (last answer: %v, %v): %w", service, addr, resp.GetStatus(), err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitListening waits until a service accepts connections on its gRPC port.
func (c *cluster) waitListening(ctx context.Context, service string) error {
	p := c.procs[service]
	addr := "127.0.0.1:" + strconv.Itoa(c.port+grpcPortOffset[service])
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			return conn.Close()
		}
		select {
		case <-p.done:
			return fmt.Errorf("temporal %s exited (%w) while starting:\n%s", service, p.err, tail(p.log(), 2000))
		case <-ctx.Done():
			return fmt.Errorf("temporal %s does not listen on %s: %w", service, addr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stopServices stops the four services (SIGTERM: each hands over what it owns) and
// leaves the databases and the UI; startCluster starts them again.
func (c *cluster) stopServices() {
	for _, svc := range clusterServices {
		if p := c.procs[svc]; p != nil {
			p.stop(30 * time.Second)
		}
	}
}

// stop stops every process and drops this run's databases.
func (c *cluster) stop() {
	c.stopServices()
	if p := c.procs["ui"]; p != nil {
		p.stop(10 * time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.script(ctx, "drop"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
	}
}

// frontendHostPort is the Temporal frontend the programs use.
func (s *stack) frontendHostPort() string {
	if s.cluster != nil {
		return s.cluster.frontend()
	}
	return s.dev.FrontendHostPort()
}

// stopTemporal stops Temporal (an outage): the dev server, or the cluster's services.
func (s *stack) stopTemporal() error {
	if s.cluster != nil {
		s.cluster.stopServices()
		return nil
	}
	return s.dev.Stop()
}

// clusterChaos are the fault scenarios only a cluster has: one service process killed
// with SIGKILL once a quarter of the locations are onboarded, and started again 2 s later.
func (s *stack) clusterChaos() []chaosScenario {
	if s.cluster == nil {
		return nil
	}
	var out []chaosScenario
	for _, svc := range []string{"history", "matching"} {
		out = append(out, chaosScenario{"kill -9 the " + svc + " service mid-install", func(ctx context.Context, t *testing.T) {
			s.cluster.kill(svc)
			time.Sleep(2 * time.Second)
			require.NoError(t, s.cluster.start(ctx, svc))
		}})
	}
	return out
}

// freePortBlock finds n consecutive free ports on 127.0.0.1, below the range Linux hands
// out as ephemeral ports (32768 on), so no outgoing connection takes one before the start.
func freePortBlock(n int) (int, error) {
	for range 200 {
		base := 20000 + mrand.IntN(8000)
		if blockFree(base, n) {
			return base, nil
		}
	}
	return 0, errors.New("no block of free ports found for the Temporal cluster")
}

func blockFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// postgresPort is the port of a postgres:// DSN ("" if there is none).
func postgresPort(dsn string) string {
	if dsn == "" {
		return ""
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return u.Port()
}
