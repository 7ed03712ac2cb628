package temporalclient

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/config"
)

// A workflow that sets a search attribute its namespace does not define fails every
// workflow task ("Namespace … has no mapping defined for search attribute …"), and a
// server registers attributes only when told to: a dev server when it creates its
// database, anything else through the operator API. So the programs check at start-up.

// SearchAttribute is a custom search attribute a namespace lacks: its name, the type it
// needs (as the CLI spells it: Keyword, Text, Int, …) and, when the namespace has it with
// another type, that type.
type SearchAttribute struct {
	Name, Type string
	Found      string
}

func (a SearchAttribute) String() string {
	if a.Found != "" {
		return fmt.Sprintf("%s (%s, but the namespace has it as %s)", a.Name, a.Type, a.Found)
	}
	return fmt.Sprintf("%s (%s)", a.Name, a.Type)
}

// MissingSearchAttributes lists the attributes of want (name → type) that the namespace
// does not define, or defines with another type, sorted by name.
func MissingSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]string) ([]SearchAttribute, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list the search attributes of namespace %s: %w", namespace, err)
	}
	var missing []SearchAttribute
	for _, name := range slices.Sorted(maps.Keys(want)) {
		typ, ok := resp.GetCustomAttributes()[name]
		if !ok {
			typ, ok = resp.GetSystemAttributes()[name]
		}
		switch {
		case !ok:
			missing = append(missing, SearchAttribute{Name: name, Type: want[name]})
		case !strings.EqualFold(cliType(typ), want[name]):
			missing = append(missing, SearchAttribute{Name: name, Type: want[name], Found: cliType(typ)})
		}
	}
	return missing, nil
}

// cliType spells an indexed value type as the CLI's --type does ("KeywordList"), which
// is how the API's enums print; older ones print "INDEXED_VALUE_TYPE_KEYWORD_LIST".
func cliType(t enumspb.IndexedValueType) string {
	s, ok := strings.CutPrefix(t.String(), "INDEXED_VALUE_TYPE_")
	if !ok {
		return s
	}
	var b strings.Builder
	for word := range strings.SplitSeq(s, "_") {
		b.WriteString(word[:1] + strings.ToLower(word[1:]))
	}
	return b.String()
}

// CreateCommands are the temporal CLI commands that register the missing attributes on
// cfg's server, one per attribute (the CLI pairs each --name with a --type, and given
// several names and one type it registers only the first). Secrets are not printed: an
// API key is passed as "$TEMPORAL_API_KEY". An attribute found with the wrong type needs
// a human (renaming or removing it loses what workflows recorded), so it gets no command.
func CreateCommands(cfg config.Temporal, missing []SearchAttribute) []string {
	conn := []string{"--address", cfg.Address, "--namespace", cfg.Namespace}
	if cfg.APIKey != "" {
		conn = append(conn, "--api-key", `"$TEMPORAL_API_KEY"`)
	}
	for flag, v := range map[string]string{
		"--tls-cert-path": cfg.TLSCertPath, "--tls-key-path": cfg.TLSKeyPath, "--tls-ca-path": cfg.TLSServerCAPath, "--tls-server-name": cfg.TLSServerName,
	} {
		if v != "" {
			conn = append(conn, flag, v)
		}
	}
	var out []string
	for _, a := range missing {
		if a.Found == "" {
			cmd := append([]string{"temporal", "operator", "search-attribute", "create"}, conn...)
			out = append(out, strings.Join(append(cmd, "--name", a.Name, "--type", a.Type), " "))
		}
	}
	return out
}

// ErrSearchAttributesMissing is returned, wrapped, when the namespace lacks attributes
// the workflows set.
var ErrSearchAttributesMissing = errors.New("the Temporal namespace lacks search attributes the workflows need")

// RequireSearchAttributes fails, naming the missing attributes and the commands that
// register them, unless cfg's namespace defines every attribute of want.
func RequireSearchAttributes(ctx context.Context, c client.Client, cfg config.Temporal, want map[string]string) error {
	missing, err := MissingSearchAttributes(ctx, c, cfg.Namespace, want)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, len(missing))
	for i, a := range missing {
		names[i] = a.String()
	}
	fix := ""
	if cmds := CreateCommands(cfg, missing); len(cmds) > 0 {
		fix = "; register them with: " + strings.Join(cmds, " && ") + " (make dev does this on every start)"
	}
	return fmt.Errorf("%w: namespace %s lacks %s%s", ErrSearchAttributesMissing, cfg.Namespace, strings.Join(names, ", "), fix)
}

// startCheckTimeout bounds the start-up check of a process that must come up while
// Temporal is down (the starter's server).
const startCheckTimeout = 5 * time.Second

// CheckSearchAttributesAtStart is RequireSearchAttributes for a process that must start
// even while Temporal is unreachable: an unreachable server is logged and let pass (the
// readiness probe reports it), missing attributes are an error.
func CheckSearchAttributesAtStart(ctx context.Context, c client.Client, cfg config.Temporal, want map[string]string, logger *zap.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, startCheckTimeout)
	defer cancel()
	err := RequireSearchAttributes(ctx, c, cfg, want)
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) || errors.Is(err, context.DeadlineExceeded) {
		logger.Warn("could not check the namespace's search attributes: Temporal is unreachable; continuing",
			zap.String("address", cfg.Address), zap.String("namespace", cfg.Namespace), zap.Error(err))
		return nil
	}
	return err
}
