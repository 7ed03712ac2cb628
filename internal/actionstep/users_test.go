package actionstep_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

func TestSandboxCurrentUser(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	c, _ := e.login("users participants")
	u, err := c.CurrentUser(t.Context())
	require.NoError(t, err)
	assert.Equal(t, simID(e.org.UserID), u.ID)
	assert.Equal(t, "Sandbox", u.FirstName)
	assert.Equal(t, "Integration", u.LastName)
	assert.True(t, bool(u.IsActive))
	assert.Equal(t, actionstep.ID("10"), u.Links.Participant, "the seeded user's contact")
	require.NotNil(t, u.Participant, "side-loaded with include=participant")
	assert.Equal(t, "Integration, Sandbox", u.Participant.DisplayName)
	assert.Equal(t, "participant", e.wire.last(t, http.MethodGet, "/users/current").url.Query().Get("include"))
}
