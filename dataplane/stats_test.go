package dataplane

import "testing"

// TestCountersDescribed: every counter has a name and a help line, and no
// two share a name.
func TestCountersDescribed(t *testing.T) {
	seen := map[string]bool{}
	for c := Counter(0); c < NumCounters; c++ {
		if c.String() == "" || c.Help() == "" {
			t.Errorf("counter %d: name %q, help %q", c, c.String(), c.Help())
		}
		if seen[c.String()] {
			t.Errorf("counter name %q used twice", c)
		}
		seen[c.String()] = true
	}
}
