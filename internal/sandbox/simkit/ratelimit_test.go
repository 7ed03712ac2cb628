package simkit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWindowSlides(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	const d, limit = 10 * time.Second, 3
	var w Window
	for i := range limit {
		now := t0.Add(time.Duration(i) * time.Second)
		w.Slide(now, d)
		w.Add(now)
	}
	now := t0.Add(2 * time.Second)
	w.Slide(now, d)
	assert.Equal(t, limit, w.Used())
	assert.Equal(t, 8*time.Second, w.Wait(now, d, limit), "the t=0 hit frees its slot at t=10s")

	now = t0.Add(10 * time.Second) // a hit exactly d old has left the window
	w.Slide(now, d)
	assert.Equal(t, 2, w.Used())
	w.Add(now)
	assert.Equal(t, time.Second, w.Wait(now, d, limit), "then the t=1s hit, at t=11s")
	assert.Equal(t, d, w.Wait(now, d, 1), "with a limit of 1, the newest hit (now) counts")

	w.Slide(now.Add(time.Hour), d)
	assert.Zero(t, w.Used())
}
