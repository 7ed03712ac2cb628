package simkit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(struct{ D Duration }{Duration(1500 * time.Millisecond)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"D":"1.5s"}`, string(b))

	var v struct{ D Duration }
	require.NoError(t, json.Unmarshal([]byte(`{"D":"250ms"}`), &v))
	assert.Equal(t, Duration(250*time.Millisecond), v.D)
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"D":10}`), &v), `duration must be a string such as "10s": 10`)
	assert.Error(t, json.Unmarshal([]byte(`{"D":"ten"}`), &v))
}
