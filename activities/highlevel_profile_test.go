package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

func TestGetLocationProfile(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{Locations: []highlevelsim.LocationSpec{{Name: "Acme Legal", Email: "hi@acme.example", Phone: "+1 212 555 0101", Website: "https://acme.example"}}})
	var got LocationProfile
	_, err := f.run(&got, f.acts.GetLocationProfile, f.ref(0))
	require.NoError(t, err)
	assert.Equal(t, LocationProfile{Name: "Acme Legal", Email: "hi@acme.example", Phone: "+1 212 555 0101", Website: "https://acme.example", Address: f.locs[0].Address}, got)
	_, err = f.run(&got, f.acts.GetLocationProfile, LocationRef{CompanyID: f.company, LocationID: "AAAAAAAAAAAAAAAAAAAA"})
	_ = requireAppError(t, err, ErrTypeRejected, false)
}
