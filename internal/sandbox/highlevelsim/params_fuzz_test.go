package highlevelsim

import (
	"encoding/json"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzTokenRequestBody checks that any body, in any declared encoding,
// parses without panicking into either a request or a 400, and that a
// request reads the same whether sent form-encoded or as JSON.
func FuzzTokenRequestBody(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "client_id=a-b&client_secret=s&grant_type=refresh_token&refresh_token=r", "a-b", "r")
	f.Add("application/json", `{"client_id":"a-b","client_secret":"s","grant_type":"authorization_code","code":"c"}`, "x y", "")
	f.Add("application/json; charset=utf-8", `{"client_id":null,"code":[1,2]}`, "%zz", "&=")
	f.Add("", "client_id=%", "\x00", "ü")
	f.Add("text/plain", "{}", "\xff", "")
	f.Fuzz(func(t *testing.T, contentType, body, clientID, refresh string) {
		if _, err := readTokenRequest(contentType, []byte(body)); err != nil {
			var ae *apiError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, 400, ae.status)
		}

		if !utf8.ValidString(clientID) || !utf8.ValidString(refresh) {
			return // encoding/json replaces invalid UTF-8, a form keeps the bytes
		}
		fields := map[string]string{"client_id": clientID, "client_secret": "s", "grant_type": "refresh_token", "refresh_token": refresh}
		want := tokenRequest{clientID: clientID, clientSecret: "s", grantType: "refresh_token", refreshToken: refresh}
		form := url.Values{}
		for k, v := range fields {
			form.Set(k, v)
		}
		js, err := json.Marshal(fields)
		require.NoError(t, err)
		for ct, b := range map[string][]byte{"application/x-www-form-urlencoded": []byte(form.Encode()), "application/json": js} {
			got, _ := readTokenRequest(ct, b) // an empty client_id is reported, but the rest is read
			assert.Equal(t, want, got, ct)
		}
	})
}
