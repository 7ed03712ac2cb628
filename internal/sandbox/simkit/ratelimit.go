package simkit

import "time"

// Window is a sliding-window log of one rate-limit key: the times of the
// requests it admitted inside the window, oldest first. The zero value is
// empty; it needs the caller's lock.
type Window struct{ hits []time.Time }

// Slide drops the hits that are no longer inside a window of length d
// ending at now.
func (w *Window) Slide(now time.Time, d time.Duration) {
	cutoff := now.Add(-d)
	i := 0
	for i < len(w.hits) && !w.hits[i].After(cutoff) {
		i++
	}
	w.hits = w.hits[i:]
}

// Used is the number of hits in the window.
func (w *Window) Used() int { return len(w.hits) }

// Add records a hit at now.
func (w *Window) Add(now time.Time) { w.hits = append(w.hits, now) }

// Wait is how long after now a window of length d admitting limit hits
// frees a slot. Only meaningful when the window is full (Used() >= limit).
func (w *Window) Wait(now time.Time, d time.Duration, limit int) time.Duration {
	// The oldest hit that counts leaves the window d after it was admitted.
	return w.hits[len(w.hits)-limit].Add(d).Sub(now)
}
