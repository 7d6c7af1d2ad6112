package batch_test

import (
	"testing"
)

// TestTranslateAllocs checks that Translate allocates nothing over 64-frame
// vectors, for every scenario: UDP, TCP and ICMP echo both ways, ICMP
// errors both ways, fragments both ways, fragmentation by xlatd (buffers
// come from a preallocated pool) and originated Time Exceeded errors.
func TestTranslateAllocs(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			ips, verdicts := sc.packets()
			fx := newVecFixtureOf(t, benchConfig(t), ips, sc.restoreN)
			fx.expectEach(t, verdicts, sc.extra)
			if n := testing.AllocsPerRun(50, fx.run); n != 0 {
				t.Errorf("%v allocations per 64-frame vector, want 0", n)
			}
		})
	}
}
