package main

import (
	"container/list"
	"slices"
	"sync"
	"time"
)

// seenCache remembers recently accepted event ids so a redelivery is acknowledged
// without a second start or signal. It is per process and lost on restart: the
// workflows are idempotent on their own (one onboarding per location, event-id dedupe
// in the subscription entity); this only spares them the work. Entries live for
// dedupeTTL.
type seenCache struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	byKey map[string]*list.Element
	order *list.List // of seenEntry, oldest first
	now   func() time.Time
}

type seenEntry struct {
	key string
	at  time.Time
}

// dedupeTTL is how long an accepted event id must be remembered: as long as the same
// signed event can still pass the replay window. An event dated maxAge in the future is
// accepted, and stays fresh until maxAge after its date, so 2×maxAge after it was first
// accepted; the longest of the sources' windows covers them all.
func dedupeTTL(maxAges ...time.Duration) time.Duration {
	return 2 * slices.Max(maxAges)
}

func newSeenCache(ttl time.Duration, max int) *seenCache {
	return &seenCache{ttl: ttl, max: max, byKey: map[string]*list.Element{}, order: list.New(), now: time.Now}
}

// Seen reports whether key was added within the TTL.
func (c *seenCache) Seen(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	return ok && c.now().Sub(el.Value.(seenEntry).at) < c.ttl
}

// Add records key, dropping expired entries and, past max, the oldest ones: entries
// are kept in insertion order, so both are taken from the front in O(1) each.
func (c *seenCache) Add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if el, ok := c.byKey[key]; ok {
		c.order.Remove(el)
	}
	c.byKey[key] = c.order.PushBack(seenEntry{key: key, at: now})
	for front := c.order.Front(); front != nil; front = c.order.Front() {
		e := front.Value.(seenEntry)
		if c.order.Len() <= c.max && now.Sub(e.at) < c.ttl {
			break
		}
		c.order.Remove(front)
		delete(c.byKey, e.key)
	}
}
