package billing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	secretOld = []byte("whsec_old_0123456789abcdef")
	secretNew = []byte("whsec_new_fedcba9876543210")
	secretBad = []byte("whsec_attacker")
	sigNow    = time.Unix(1_780_000_000, 0).UTC()
)

const eventBody = `{"eventId":"evt_1","locationId":"HjiMUOsCCHCjtxzEf8PR","subscriptionId":"sub_1","customerId":"cus_1","planId":"plan_pro","status":"active","occurredAt":"2026-05-28T20:26:40Z"}`

// hmacHex is an independent computation of the documented scheme.
func hmacHex(secret []byte, t int64, body string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(t, 10) + "." + body))
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignFormat(t *testing.T) {
	h := Sign(secretNew, []byte(eventBody), sigNow)
	assert.Regexp(t, regexp.MustCompile(`^t=1780000000,v1=[0-9a-f]{64}$`), h)
	assert.Equal(t, "t=1780000000,v1="+hmacHex(secretNew, sigNow.Unix(), eventBody), h)
	assert.Equal(t, h, Sign(secretNew, []byte(eventBody), sigNow.Add(999*time.Millisecond)), "whole seconds")
}

func TestVerifyRoundTrip(t *testing.T) {
	body := []byte(eventBody)
	for _, secrets := range [][][]byte{{secretNew}, {secretOld, secretNew}, {secretNew, secretOld}, {nil, secretNew}} {
		require.NoError(t, Verify(secrets, Sign(secretNew, body, sigNow), body, sigNow, time.Minute))
	}
	require.NoError(t, Verify([][]byte{secretNew}, Sign(secretNew, nil, sigNow), nil, sigNow, time.Minute), "empty body")
}

func TestVerify(t *testing.T) {
	ts := sigNow.Unix()
	tsS := strconv.FormatInt(ts, 10)
	good := hmacHex(secretNew, ts, eventBody)
	old := hmacHex(secretOld, ts, eventBody)
	both := [][]byte{secretOld, secretNew}

	tests := []struct {
		name    string
		secrets [][]byte
		header  string
		body    string
		now     time.Time
		window  time.Duration
		want    error
	}{
		{"valid", both, "t=" + tsS + ",v1=" + good, eventBody, sigNow, time.Minute, nil},
		{"sender rotating: old and new v1, receiver knows new", [][]byte{secretNew}, "t=" + tsS + ",v1=" + old + ",v1=" + good, eventBody, sigNow, time.Minute, nil},
		{"sender rotating: receiver knows old only", [][]byte{secretOld}, "t=" + tsS + ",v1=" + old + ",v1=" + good, eventBody, sigNow, time.Minute, nil},
		{"receiver rotating: sender still on old", both, "t=" + tsS + ",v1=" + old, eventBody, sigNow, time.Minute, nil},
		{"unknown schemes ignored", both, "t=" + tsS + ",v0=abc,v1=" + good + ",v2=zzz", eventBody, sigNow, time.Minute, nil},
		{"items in any order, spaces around items", both, " v1=" + good + " , t=" + tsS + " ", eventBody, sigNow, time.Minute, nil},
		{"upper-case hex", both, "t=" + tsS + ",v1=" + strings.ToUpper(good), eventBody, sigNow, time.Minute, nil},
		{"oldest accepted", both, "t=" + tsS + ",v1=" + good, eventBody, sigNow.Add(time.Minute), time.Minute, nil},
		{"newest accepted", both, "t=" + tsS + ",v1=" + good, eventBody, sigNow.Add(-time.Minute), time.Minute, nil},
		{"zero window means the default", both, "t=" + tsS + ",v1=" + good, eventBody, sigNow.Add(DefaultWindow), 0, nil},

		{"no secrets", nil, "t=" + tsS + ",v1=" + good, eventBody, sigNow, time.Minute, ErrNoSecret},
		{"only empty secrets", [][]byte{{}, nil}, "t=" + tsS + ",v1=" + hmacHex(nil, ts, eventBody), eventBody, sigNow, time.Minute, ErrNoSecret},
		{"missing header", both, "", eventBody, sigNow, time.Minute, ErrSignatureMissing},
		{"blank header", both, "  ", eventBody, sigNow, time.Minute, ErrSignatureMissing},
		{"header too long", both, "t=" + tsS + ",v1=" + good + ",v0=" + strings.Repeat("a", 2000), eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"no t", both, "v1=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"two t", both, "t=" + tsS + ",t=" + tsS + ",v1=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"t not a number", both, "t=soon,v1=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"t negative", both, "t=-" + tsS + ",v1=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"t with a plus sign", both, "t=+" + tsS + ",v1=" + hmacHex(secretNew, ts, eventBody), eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"t with a leading zero", both, "t=0" + tsS + ",v1=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"t in milliseconds", both, "t=" + tsS + "000,v1=" + hmacHex(secretNew, ts*1000, eventBody), eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"no v1", both, "t=" + tsS, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"only v0", both, "t=" + tsS + ",v0=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"v1 too short", both, "t=" + tsS + ",v1=" + good[:62], eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"v1 too long", both, "t=" + tsS + ",v1=" + good + "00", eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"v1 not hex", both, "t=" + tsS + ",v1=" + strings.Repeat("g", 64), eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"v1 base64 instead of hex", both, "t=" + tsS + ",v1=" + "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=", eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"too many v1", both, "t=" + tsS + strings.Repeat(",v1="+old, maxSignatures) + ",v1=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"item without =", both, "t=" + tsS + ",v1=" + good + ",", eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"semicolons", both, "t=" + tsS + ";v1=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"wrong secret", both, "t=" + tsS + ",v1=" + hmacHex(secretBad, ts, eventBody), eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"body changed", both, "t=" + tsS + ",v1=" + good, strings.Replace(eventBody, "plan_pro", "plan_max", 1), sigNow, time.Minute, ErrSignatureInvalid},
		{"body re-encoded with spaces", both, "t=" + tsS + ",v1=" + good, strings.ReplaceAll(eventBody, ",", ", "), sigNow, time.Minute, ErrSignatureInvalid},
		{"t changed (replay with a fresh t)", both, "t=" + strconv.FormatInt(ts+60, 10) + ",v1=" + good, eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"signed without the dot", both, "t=" + tsS + ",v1=" + func() string {
			m := hmac.New(sha256.New, secretNew)
			m.Write([]byte(tsS + eventBody))
			return hex.EncodeToString(m.Sum(nil))
		}(), eventBody, sigNow, time.Minute, ErrSignatureInvalid},
		{"forged and stale: invalid, not stale", both, "t=" + tsS + ",v1=" + hmacHex(secretBad, ts, eventBody), eventBody, sigNow.Add(time.Hour), time.Minute, ErrSignatureInvalid},
		{"just too old", both, "t=" + tsS + ",v1=" + good, eventBody, sigNow.Add(time.Minute + time.Second), time.Minute, ErrStale},
		{"replayed a day later", both, "t=" + tsS + ",v1=" + good, eventBody, sigNow.Add(24 * time.Hour), time.Minute, ErrStale},
		{"just too far in the future", both, "t=" + tsS + ",v1=" + good, eventBody, sigNow.Add(-time.Minute - time.Second), time.Minute, ErrStale},
		{"beyond the default window", both, "t=" + tsS + ",v1=" + good, eventBody, sigNow.Add(DefaultWindow + time.Second), 0, ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secrets, tt.header, []byte(tt.body), tt.now, tt.window)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			msg := err.Error()
			assert.NotContains(t, msg, good[:16], "error echoes a signature")
			assert.NotContains(t, msg, "plan_", "error echoes the body")
			assert.NotContains(t, msg, "whsec", "error echoes a secret")
		})
	}
}

func TestVerifyConcurrent(t *testing.T) {
	secrets := [][]byte{secretOld, secretNew}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			body := []byte(eventBody + strconv.Itoa(i))
			for j := range 50 {
				at := sigNow.Add(time.Duration(j) * time.Second)
				h := Sign(secrets[i%2], body, at)
				assert.NoError(t, Verify(secrets, h, body, at, time.Minute))
				assert.ErrorIs(t, Verify(secrets, h, body[1:], at, time.Minute), ErrSignatureInvalid)
			}
		})
	}
	wg.Wait()
}
