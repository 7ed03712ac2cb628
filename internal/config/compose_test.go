package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// composeFile is what the tests read of a compose file.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Build       any            `yaml:"build"`
	Command     []string       `yaml:"command"`
	Environment map[string]any `yaml:"environment"`
	Healthcheck any            `yaml:"healthcheck"`
	Ports       []string       `yaml:"ports"`
	Profiles    []string       `yaml:"profiles"`
}

func readCompose(t *testing.T, name string) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s does not parse: %v", name, err)
	}
	return c
}

// The compose files are the container contract: they must parse, every variable they
// pass to a program must be one that program reads (a misspelt one is silently ignored
// by the program, which then runs on a default), and the long-running programs have
// health checks.
func TestComposeFilesPassOnlyVariablesTheProgramsRead(t *testing.T) {
	programs := map[string]map[string]bool{"worker": envKeys(reflect.TypeFor[Worker]()), "starter": envKeys(reflect.TypeFor[Starter]())}
	sandboxSource := sandboxSourceText(t)
	for file, want := range map[string][]string{
		"docker-compose.yml":            {"postgresql", "temporal", "temporal-setup", "temporal-ui", "worker", "starter", "sandbox", "schedules"},
		"docker-compose.production.yml": {"postgresql", "temporal", "temporal-setup", "temporal-ui", "worker", "starter", "schedules"},
	} {
		t.Run(file, func(t *testing.T) {
			compose := readCompose(t, file)
			for _, name := range want {
				if _, ok := compose.Services[name]; !ok {
					t.Errorf("service %s missing", name)
				}
			}
			checked := 0
			for name, svc := range compose.Services {
				if svc.Build == nil || len(svc.Command) == 0 {
					continue // not one of ours
				}
				checked += checkProgramEnv(t, name, svc, programs, sandboxSource)
				longRunning := svc.Command[0] == "worker" || slices.Equal(svc.Command, []string{"starter", "serve"})
				if longRunning && svc.Healthcheck == nil {
					t.Errorf("service %s has no health check", name)
				}
			}
			if checked == 0 {
				t.Fatal("no environment checked: the compose layout changed under the test")
			}
			if compose.Services["temporal-ui"].Environment["TEMPORAL_CODEC_ENDPOINT"] == nil {
				t.Error("the Web UI has no codec endpoint: payloads would show as ciphertext")
			}
		})
	}
}

func checkProgramEnv(t *testing.T, name string, svc composeService, programs map[string]map[string]bool, sandboxSource string) int {
	t.Helper()
	program := svc.Command[0]
	for key := range svc.Environment {
		switch program {
		case "sandbox":
			if !strings.HasPrefix(key, "SANDBOX_") || !strings.Contains(sandboxSource, `"`+key+`"`) {
				t.Errorf("service %s passes %s, which the sandbox does not read", name, key)
			}
		default:
			read, ok := programs[program]
			if !ok {
				t.Errorf("service %s runs unknown program %q", name, program)
				continue
			}
			if !read[key] {
				t.Errorf("service %s passes %s, which %s does not read", name, key, program)
			}
		}
	}
	return len(svc.Environment)
}

// TestComposeFilesExposeNothing: every published port is bound to 127.0.0.1 (Temporal's
// frontend, the Web UI, the simulators' admin APIs and the starter's operator listener
// authenticate nobody, or not enough, to face a network); the simulators run only in the
// demo profile and never see the real apps' secrets; the production example has no
// simulator; the Web UI decodes through the operator listener, never the public one; a
// starter whose operator listener leaves its loopback gets the operator token.
func TestComposeFilesExposeNothing(t *testing.T) {
	for _, file := range []string{"docker-compose.yml", "docker-compose.production.yml"} {
		t.Run(file, func(t *testing.T) {
			compose := readCompose(t, file)
			for name, svc := range compose.Services {
				for _, p := range svc.Ports {
					if !strings.HasPrefix(p, "127.0.0.1:") || strings.Count(p, ":") != 2 {
						t.Errorf("service %s publishes %q: bind it to 127.0.0.1 (\"127.0.0.1:HOST:CONTAINER\")", name, p)
					}
				}
				isSim := len(svc.Command) > 0 && svc.Command[0] == "sandbox"
				switch {
				case isSim && file == "docker-compose.production.yml":
					t.Errorf("service %s runs a simulator in the production example", name)
				case isSim && !slices.Equal(svc.Profiles, []string{"demo"}):
					t.Errorf("simulator service %s runs outside the demo profile (profiles %v)", name, svc.Profiles)
				case isSim:
					for key, v := range svc.Environment {
						if s, _ := v.(string); strings.Contains(s, "${HIGHLEVEL_CLIENT_SECRET") || strings.Contains(s, "${ACTIONSTEP_CLIENT_SECRET") {
							t.Errorf("simulator service %s gets the real client secret in %s", name, key)
						}
					}
				}
				if slices.Equal(svc.Command, []string{"starter", "serve"}) {
					checkStarterService(t, name, svc)
				}
			}
			endpoint, _ := compose.Services["temporal-ui"].Environment["TEMPORAL_CODEC_ENDPOINT"].(string)
			if !strings.Contains(endpoint, ":8090/codec") {
				t.Errorf("the Web UI's codec endpoint %q is not the operator listener's", endpoint)
			}
		})
	}
}

func checkStarterService(t *testing.T, name string, svc composeService) {
	t.Helper()
	addr, _ := svc.Environment["STARTER_OPERATOR_ADDR"].(string)
	if addr == "" || strings.HasPrefix(addr, "127.0.0.1:") {
		return
	}
	if tok, _ := svc.Environment["OPERATOR_AUTH_TOKEN"].(string); !strings.Contains(tok, ":?") {
		t.Errorf("service %s binds the operator listener to %s without requiring OPERATOR_AUTH_TOKEN", name, addr)
	}
}

// The demo never reads the real apps' credentials, so they cannot reach a simulator.
func TestComposeDemoUsesDemoCredentials(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"${HIGHLEVEL_CLIENT_SECRET", "${ACTIONSTEP_CLIENT_SECRET", "${HIGHLEVEL_CLIENT_ID", "${ACTIONSTEP_CLIENT_ID"} {
		if strings.Contains(string(b), v) {
			t.Errorf("docker-compose.yml reads %s}: the demo runs on demo credentials only", v)
		}
	}
}

func envKeys(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
			for k := range envKeys(f.Type) {
				out[k] = true
			}
			continue
		}
		if key, _, _ := strings.Cut(f.Tag.Get("env"), ","); key != "" {
			out[key] = true
		}
	}
	return out
}

func sandboxSourceText(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "sandbox", "cmd", "sandbox", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("sandbox sources not found: %v", err)
	}
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
	}
	return b.String()
}

// TestComposeMonitoringProfile: Prometheus and Grafana run in the monitoring profile of
// both compose files, on loopback, with the files under deploy/ that provision them
// (which exist), and Prometheus scrapes the worker and, with the operator token, the
// starter's operator listener, and loads the alert rules.
func TestComposeMonitoringProfile(t *testing.T) {
	type volumeService struct {
		Volumes     []string       `yaml:"volumes"`
		Profiles    []string       `yaml:"profiles"`
		Environment map[string]any `yaml:"environment"`
	}
	for _, file := range []string{"docker-compose.yml", "docker-compose.production.yml"} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", file))
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Services map[string]volumeService `yaml:"services"`
			}
			if err := yaml.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"prometheus", "grafana"} {
				svc, ok := c.Services[name]
				if !ok {
					t.Fatalf("service %s missing", name)
				}
				if !slices.Equal(svc.Profiles, []string{"monitoring"}) {
					t.Errorf("%s runs outside the monitoring profile (%v)", name, svc.Profiles)
				}
				for _, v := range svc.Volumes {
					src, _, _ := strings.Cut(v, ":")
					if !strings.HasPrefix(src, "./") {
						continue // a named volume
					}
					if _, err := os.Stat(filepath.Join("..", "..", src)); err != nil {
						t.Errorf("%s mounts %s, which is missing", name, src)
					}
				}
			}
			if tok, _ := c.Services["prometheus"].Environment["OPERATOR_AUTH_TOKEN"].(string); !strings.Contains(tok, ":?") {
				t.Error("prometheus does not get the operator token it scrapes the starter with")
			}
		})
	}

	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			Authorization struct {
				CredentialsFile string `yaml:"credentials_file"`
			} `yaml:"authorization"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &prom); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prom.RuleFiles, []string{"/etc/prometheus/alerts.yml"}) {
		t.Errorf("rule files %v", prom.RuleFiles)
	}
	targets := map[string]string{}
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tgt := range st.Targets {
				targets[tgt] = sc.Authorization.CredentialsFile
			}
		}
	}
	if _, ok := targets["worker:9090"]; !ok {
		t.Error("the workers are not scraped")
	}
	if targets["starter:8090"] != "/prometheus/operator-token" {
		t.Errorf("the starter's operator listener is not scraped with the operator token: %v", targets)
	}
}
