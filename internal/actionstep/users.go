package actionstep

import (
	"context"
	"net/http"
	"net/url"
)

// EndpointCurrentUser is the template of the authenticated user's record.
const EndpointCurrentUser = "GET /users/current"

// User is an Actionstep user. The record is not in the published specs: beyond the id and the
// participant link (the user's contact, which holds the details) fields may be empty.
type User struct {
	ID           ID     `json:"id"`
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	EmailAddress string `json:"emailAddress"`
	IsActive     Bool   `json:"isActive"`
	Links        struct {
		Participant ID `json:"participant"`
	} `json:"links"`
}

// CurrentUser is the user a token acts for, with its participant (nil if the API did not
// side-load it).
type CurrentUser struct {
	User
	Participant *Participant
}

// CurrentUser reads the user the bound token acts for. It is cheap, so it also serves as a
// health check of a freshly refreshed token and api_endpoint (reference §3.8).
func (c *Client) CurrentUser(ctx context.Context) (*CurrentUser, error) {
	r := request{
		endpoint: EndpointCurrentUser, method: http.MethodGet, path: resUsers + "/current",
		query: url.Values{"include": {"participant"}},
	}
	user, linked, err := fetchOne[User](ctx, c, r, resUsers)
	if err != nil {
		return nil, err
	}
	out := &CurrentUser{User: *user}
	for i, p := range linked.Participants {
		if p.ID == out.Links.Participant {
			out.Participant = &linked.Participants[i]
		}
	}
	return out, nil
}
