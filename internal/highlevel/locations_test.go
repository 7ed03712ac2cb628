package highlevel_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

// GetLocation reads the business profile with the agency's token, or the location's
// own; another company's location is refused.
func TestGetLocation(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{Locations: []highlevelsim.LocationSpec{
		{Name: "Harbor & Vale Legal", Email: "office@harborvale.example", Phone: "+1 212 555 0100", Website: "https://harborvale.example", Address: "10 W 13th St"}, {},
	}})
	ctx := t.Context()
	loc := e.locs[0].ID
	got, err := e.client.GetLocation(ctx, loc)
	require.NoError(t, err)
	require.Equal(t, highlevel.Location{ID: loc, CompanyID: e.agency.ID, Name: "Harbor & Vale Legal", Email: "office@harborvale.example",
		Phone: "+1 212 555 0100", Website: "https://harborvale.example", Address: "10 W 13th St"}, *got)
	require.Equal(t, versionOAuth, e.lastExchange().Version)

	lt, err := e.client.LocationToken(ctx, e.agency.ID, loc)
	require.NoError(t, err)
	own, err := e.as(lt.AccessToken).GetLocation(ctx, loc)
	require.NoError(t, err)
	require.Equal(t, got, own)
	_, err = e.as(lt.AccessToken).GetLocation(ctx, e.locs[1].ID)
	_ = e.requireAPIError(err, highlevel.EndpointGetLocation, http.StatusForbidden, "The token does not have access to this location.")
	_, err = e.client.GetLocation(ctx, e.otherAgency().Locations[0].ID)
	_ = e.requireAPIError(err, highlevel.EndpointGetLocation, http.StatusForbidden, "The token does not have access to this location.")
}
