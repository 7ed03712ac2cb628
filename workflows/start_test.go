package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestStartOptionsCarryTheAgencyAsFairnessKey: every workflow started for an agency's
// location, or for the agency, carries the agency as its fairness key, which its
// activities inherit.
func TestStartOptionsCarryTheAgencyAsFairnessKey(t *testing.T) {
	opts := LocationStartOptions("loc_1", "comp_1")
	assert.Equal(t, "comp_1", opts.Priority.FairnessKey)
	assert.Equal(t, 0, opts.Priority.PriorityKey, "no priority level: agencies are equals")
}
