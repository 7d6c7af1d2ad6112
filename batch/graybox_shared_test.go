package batch_test

import (
	"slices"
	"testing"

	"github.com/xlatd/xlatd/internal/graybox"
)

// TestGrayboxTablesAgree keeps this package's row table and deviations (the
// in-process replay) in step with internal/graybox's copy (the replay
// through the running daemon in e2e/): same rows, files, directions,
// configurations, exemptions and deviations.
func TestGrayboxTablesAgree(t *testing.T) {
	if len(grayRows) != len(graybox.Rows) {
		t.Fatalf("batch has %d rows, internal/graybox %d", len(grayRows), len(graybox.Rows))
	}
	for i, r := range grayRows {
		s := graybox.Rows[i]
		env := grayEnv{lowestMTU: s.Env.LowestMTU, mtu4: s.Env.MTU4, mtu6: s.Env.MTU6, amendUDP: s.Env.AmendUDP,
			no6791v4: s.Env.No6791v4, pool6Null: s.Env.Pool6Null, rfc6791v6: s.Env.RFC6791v6}
		if r.name != s.Name || r.in != s.In || !slices.Equal(r.want, s.Want) || r.dir != s.Dir ||
			r.hairpin != s.Hairpin || r.env != env || r.tos != s.TOS || r.icmpCsum != s.ICMPCsum || r.extra != s.Extra {
			t.Errorf("row %d differs:\n batch:           %+v\n internal/graybox: %+v", i, r, s)
		}
	}
	if len(deviations) != len(graybox.Deviations) {
		t.Errorf("deviations: batch %d, internal/graybox %d", len(deviations), len(graybox.Deviations))
	}
	for name, why := range deviations {
		if graybox.Deviations[name] != why {
			t.Errorf("deviation %s: batch %q, internal/graybox %q", name, why, graybox.Deviations[name])
		}
	}
}
