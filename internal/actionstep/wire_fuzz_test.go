package actionstep

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// Seeds are the shapes seen on the wire (reference §2.5) plus the usual troublemakers.
var wireSeeds = []string{
	`"T"`, `"F"`, `true`, `false`, `""`, `null`, `[]`, `{}`, `0`, `1`, `7939`, `"7939"`, `-1`, `7.0`, `7.5`,
	`1e400`, `"1--27--10"`, `"AU"`, `["75165"]`, `{"id":1}`, `[{"id":1},{"id":"2"}]`, `"\u0000"`, `"\xff"`, ``, `  `,
}

func FuzzBool(f *testing.F) {
	for _, s := range wireSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v Bool
		if json.Unmarshal(in, &v) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil || (string(out) != `"T"` && string(out) != `"F"`) {
			t.Fatalf("Marshal(%v) = %s, %v", v, out, err)
		}
		var back Bool
		if err := json.Unmarshal(out, &back); err != nil || back != v {
			t.Fatalf("round trip of %s: %v, %v", out, back, err)
		}
	})
}

func FuzzID(f *testing.F) {
	for _, s := range wireSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var id ID
		if json.Unmarshal(in, &id) != nil {
			return
		}
		// A JSON string is kept verbatim.
		var s string
		if json.Unmarshal(in, &s) == nil && id != ID(s) {
			t.Fatalf("ID(%s) = %q, want the string %q", in, id, s)
		}
		out, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		var back ID
		if err := json.Unmarshal(out, &back); err != nil || back != id {
			t.Fatalf("round trip of %q: %q, %v", id, back, err)
		}
	})
}

func FuzzInt(f *testing.F) {
	for _, s := range wireSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var n Int
		if json.Unmarshal(in, &n) != nil {
			return
		}
		out, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		var back Int
		if err := json.Unmarshal(out, &back); err != nil || back != n {
			t.Fatalf("round trip of %d: %d, %v", n, back, err)
		}
	})
}

func FuzzOneOrMany(f *testing.F) {
	for _, s := range wireSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var got OneOrMany[ID]
		err := json.Unmarshal(in, &got)
		// Whatever decodes as a list of ids decodes the same way here.
		var many []ID
		if json.Unmarshal(in, &many) == nil {
			if err != nil || len(got) != len(many) {
				t.Fatalf("OneOrMany(%s) = %v, %v; a list decoded to %v", in, got, err, many)
			}
			return
		}
		// Whatever decodes as one id is a list of one.
		var one ID
		if json.Unmarshal(in, &one) == nil && !isNull(bytes.TrimSpace(in)) {
			if err != nil || len(got) != 1 || got[0] != one {
				t.Fatalf("OneOrMany(%s) = %v, %v; want [%q]", in, got, err, one)
			}
		}
	})
}

func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{
		``, `{"actions":{"id":1}}`, `{"actions":[{"id":1},{"id":"2"}],"meta":{"paging":{"actions":{"recordCount":"2","nextPage":null}}}}`,
		`{"actions":[],"meta":[],"linked":[],"links":[]}`, `{"actions":null,"linked":{"actiontypes":{"id":7,"isDisabled":"F"}}}`,
		`{"actions":{"id":1,"links":{"primaryParticipants":"5","step":"1--2"}},"links":{"a":{"href":"h","type":"t"},"b":1}}`,
		`{"errors":{"status":400}}`, `[]`, `null`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodePage[Action](body, resActions)
		if err == nil && page == nil {
			t.Fatal("nil page without an error")
		}
		one, err := decodeOne[Action](body, resActions)
		if err == nil && one == nil {
			t.Fatal("nil record without an error")
		}
	})
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"errors":{"status":400,"code":"AS-1302","title":"Invalid JSON Message","detail":"Unable to decode"}}`,
		`{"errors":[{"code":1,"title":"a"},{"detail":"b"}]}`, `{"errors":"x"}`, `{"errors":[]}`,
		`{"error":"invalid_grant","error_description":"Invalid refresh_token"}`, `{"error":{"code":1}}`,
		`{"errors":{"code":"AS-1"},"error":{"x":1}}`,
		`<html>secret</html>`, `null`, "\xff", ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, msg := parseErrorBody(body)
		if !json.Valid(body) && (code != "" || msg != "") {
			t.Fatalf("a body that is not JSON was quoted: %q %q", code, msg)
		}
		if !utf8.ValidString(code) || !utf8.ValidString(msg) {
			t.Fatal("invalid UTF-8 in an error")
		}
		if utf8.RuneCountInString(code) > maxMessage+1 || utf8.RuneCountInString(msg) > maxMessage+1 {
			t.Fatalf("not bounded: %d and %d runes", utf8.RuneCountInString(code), utf8.RuneCountInString(msg))
		}
	})
}
