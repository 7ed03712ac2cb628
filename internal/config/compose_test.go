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

// The compose file is the container contract: it must parse, and every variable it
// passes to a program must be one that program reads (a misspelt one is silently
// ignored by the program, which then runs on a default).
func TestComposeFilePassesOnlyVariablesTheProgramsRead(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Build       any            `yaml:"build"`
			Command     []string       `yaml:"command"`
			Environment map[string]any `yaml:"environment"`
			Healthcheck any            `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	programs := map[string]map[string]bool{"worker": envKeys(reflect.TypeFor[Worker]()), "starter": envKeys(reflect.TypeFor[Starter]())}
	sandboxSource := sandboxSourceText(t)

	for _, want := range []string{"postgresql", "temporal", "temporal-setup", "temporal-ui", "worker", "starter", "sandbox", "schedules"} {
		if _, ok := compose.Services[want]; !ok {
			t.Errorf("service %s missing", want)
		}
	}
	checked := 0
	for name, svc := range compose.Services {
		if svc.Build == nil || len(svc.Command) == 0 {
			continue // not one of ours
		}
		program := svc.Command[0]
		for key := range svc.Environment {
			checked++
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
		longRunning := program == "worker" || slices.Equal(svc.Command, []string{"starter", "serve"})
		if longRunning && svc.Healthcheck == nil {
			t.Errorf("service %s has no health check", name)
		}
	}
	if checked == 0 {
		t.Fatal("no environment checked: the compose layout changed under the test")
	}
	ui := compose.Services["temporal-ui"].Environment
	if ui["TEMPORAL_CODEC_ENDPOINT"] == nil {
		t.Error("the Web UI has no codec endpoint: payloads would show as ciphertext")
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
