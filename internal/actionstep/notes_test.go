package actionstep_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

func TestSandboxNotes(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	p := e.provision(c, "1")

	notes, err := c.ListFileNotes(ctx, p.action, actionstep.Query{})
	require.NoError(t, err)
	assert.Empty(t, notes.Items)

	first, err := c.CreateFileNote(ctx, p.action, actionstep.NewNote{Text: "Subscription started on Pro", Source: actionstep.NoteSourceSystem})
	require.NoError(t, err)
	assert.Equal(t, actionstep.ID("21000"), first.ID)
	assert.Equal(t, actionstep.NoteSourceSystem, first.Source)
	assert.Equal(t, p.action, first.Links.Action)
	assert.Equal(t, e.userContact(), first.Links.Participant, "the author is the token's user")
	assert.Equal(t, "Integration, Sandbox", first.EnteredBy)
	assert.Empty(t, first.Links.Tags)
	second, err := c.CreateFileNote(ctx, p.action, actionstep.NewNote{
		Text: "Upgraded to Enterprise", Source: actionstep.NoteSourceSystem, NoteTimestamp: "2026-03-01T10:00:00+11:00",
	})
	require.NoError(t, err)
	noted, err := time.Parse(time.RFC3339, second.NoteTimestamp)
	require.NoError(t, err)
	assert.True(t, noted.Equal(time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)), "the same instant, in the organisation's zone: %s", second.NoteTimestamp)
	user, err := c.CreateFileNote(ctx, p.action, actionstep.NewNote{Text: "Called the client"})
	require.NoError(t, err)
	assert.Equal(t, actionstep.NoteSourceUser, user.Source, "the API's default")
	other := e.provision(c, "2")
	_, err = c.CreateFileNote(ctx, other.action, actionstep.NewNote{Text: "Another matter"})
	require.NoError(t, err)

	ids := func(p *actionstep.Page[actionstep.FileNote]) []actionstep.ID {
		var out []actionstep.ID
		for _, n := range p.Items {
			out = append(out, n.ID)
		}
		return out
	}
	notes, err = c.ListFileNotes(ctx, p.action, actionstep.Query{})
	require.NoError(t, err)
	assert.Equal(t, []actionstep.ID{first.ID, second.ID, user.ID}, ids(notes), "in creation order, this matter's only")
	notes, err = c.ListFileNotes(ctx, p.action, actionstep.Query{Sort: []string{"-id"}})
	require.NoError(t, err)
	assert.Equal(t, []actionstep.ID{user.ID, second.ID, first.ID}, ids(notes))
	notes, err = c.ListFileNotes(ctx, p.action, actionstep.Query{
		Filters: []actionstep.Filter{{Field: "source", Op: actionstep.OpNotEq, Value: actionstep.NoteSourceSystem}},
	})
	require.NoError(t, err)
	assert.Equal(t, []actionstep.ID{user.ID}, ids(notes))
	notes, err = c.ListFileNotes(ctx, p.action, actionstep.Query{PageSize: 2, Page: 2})
	require.NoError(t, err)
	assert.Equal(t, []actionstep.ID{user.ID}, ids(notes))
	assert.Equal(t, actionstep.Int(2), notes.Paging.Page)
	assert.False(t, notes.HasNext())

	cn, err := c.CreateContactNote(ctx, p.participant, actionstep.NewNote{Text: "Location onboarded", Source: actionstep.NoteSourceSystem})
	require.NoError(t, err)
	assert.Equal(t, actionstep.ID("500"), cn.ID)
	assert.Equal(t, p.participant, cn.Links.Participant)
	assert.Equal(t, "Location onboarded", cn.Text)
	assert.NotEmpty(t, cn.EnteredTimestamp)
	st := e.state()
	require.Len(t, st.ContactNotes, 1)
	assert.Equal(t, 11, st.ContactNotes[0].ParticipantID)
	assert.Len(t, st.FileNotes, 4)
}
