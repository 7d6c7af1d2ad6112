package batch_test

import (
	"testing"
	"time"
)

// BenchmarkTranslate measures Translate over vectors of 64 identical
// frames. Every iteration first restores the frames from a pristine copy
// (only the bytes a translation can change: 64 per frame for plain
// packets), then translates them. Metrics:
//
//	ns/pkt       whole iteration (restore + Translate) / 64
//	xlat-ns/pkt  ns/pkt minus the restore cost measured in place
//	restore-ns/pkt the restore cost alone (also BenchmarkTranslate/Baseline)
//
// Run: go test -run '^$' -bench 'BenchmarkTranslate/' -benchmem ./batch/
func BenchmarkTranslate(b *testing.B) {
	for _, sc := range scenarios() {
		b.Run(sc.name, func(b *testing.B) {
			fx := newVecFixture(b, benchConfig(b), sc.ip, sc.restoreN)
			fx.expect(b, sc.verdict, sc.extra)
			restore := restoreCost(fx)
			b.ReportAllocs()
			b.SetBytes(int64(len(sc.ip)) * 64)
			b.ResetTimer()
			for b.Loop() {
				fx.run()
			}
			pkts := float64(b.N) * 64
			ns := float64(b.Elapsed().Nanoseconds()) / pkts
			b.ReportMetric(ns, "ns/pkt")
			b.ReportMetric(ns-restore, "xlat-ns/pkt")
			b.ReportMetric(restore, "restore-ns/pkt")
		})
	}
	b.Run("Baseline/restore-UDP", func(b *testing.B) {
		sc := scenarios()[0]
		fx := newVecFixture(b, benchConfig(b), sc.ip, sc.restoreN)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			fx.restore()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)*64), "ns/pkt")
	})
}

// restoreCost returns the restore cost per packet, in nanoseconds.
func restoreCost(fx *vecFixture) float64 {
	const rounds = 20000
	start := time.Now()
	for i := 0; i < rounds; i++ {
		fx.restore()
	}
	return float64(time.Since(start).Nanoseconds()) / (rounds * 64)
}
