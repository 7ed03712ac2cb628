package highlevelsim

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"strings"
)

// params is a flat view of a form-encoded or JSON-object body, the two
// encodings HighLevel accepts on /oauth/token and /oauth/locationToken.
type params struct {
	values map[string]string
	// nonString names JSON members whose value is not a string.
	nonString map[string]bool
}

// isJSON reports whether a Content-Type names JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// parseParams decodes body according to contentType. A JSON body must be an
// object; only its string members become values. A body of any other
// content type reads as empty, as NestJS's body parsers leave it: the
// request then fails for its missing parameters.
func parseParams(contentType string, body []byte) (params, error) {
	p := params{values: map[string]string{}, nonString: map[string]bool{}}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case isJSON(contentType):
		if len(bytes.TrimSpace(body)) == 0 {
			return p, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			return p, errMalformedJSON
		}
		for k, raw := range obj {
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				p.values[k] = s
			} else if !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
				p.nonString[k] = true
			}
		}
	case mt == "application/x-www-form-urlencoded" || contentType == "":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return p, errMalformedForm
		}
		for k, vs := range vals {
			p.values[k] = vs[0]
		}
	}
	return p, nil
}
