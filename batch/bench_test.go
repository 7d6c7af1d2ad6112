//go:build linux

package batch_test

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkTranslate measures Translate over vectors of 64 identical
// frames (UDP/mixed: IPv4 and IPv6 frames in turn). Every iteration first restores the frames from a pristine copy
// (only the bytes a translation can change: 64 per frame for plain
// packets, 96 for TCP, the whole frame for errors and fragments; the
// fixture checks that this reproduces the input), then translates them.
// Metrics, per packet:
//
//	ns/pkt              wall clock, restore + Translate
//	cpu-ns/pkt          CPU time of the benchmark's thread (RUSAGE_THREAD),
//	                    restore + Translate: steadier than wall clock on a
//	                    shared machine, since time spent descheduled is not counted
//	restore-cpu-ns/pkt  CPU time of the restore alone, measured in place
//	xlat-cpu-ns/pkt     cpu-ns/pkt - restore-cpu-ns/pkt: Translate itself
//
// BenchmarkTranslate/Baseline/restore-UDP measures the restore alone.
//
// Run: go test -run '^$' -bench 'BenchmarkTranslate/' -benchmem ./batch/
func BenchmarkTranslate(b *testing.B) {
	for _, sc := range scenarios() {
		b.Run(sc.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ips, verdicts := sc.packets()
			fx := newVecFixtureOf(b, benchConfig(b), ips, sc.restoreN)
			fx.expectEach(b, verdicts, sc.extra)
			measureVectors(b, fx, len(sc.ip))
		})
	}
	for _, sc := range natScenarios(b) {
		b.Run(sc.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			fx := newVecFixtureWith(b, sc.tr, sc.ips, sc.restoreN)
			fx.expect(b, sc.verdict, 0)
			measureVectors(b, fx, len(sc.ips[0]))
		})
	}
	b.Run("NAT64/UDP/6to4-1M", func(b *testing.B) { benchNAT64Big(b, true, true) })
	b.Run("NAT64/UDP/6to4-1M/noprefetch", func(b *testing.B) { benchNAT64Big(b, true, false) })
	b.Run("NAT64/UDP/4to6-1M", func(b *testing.B) { benchNAT64Big(b, false, true) })
	b.Run("NAT64/UDP/4to6-1M/noprefetch", func(b *testing.B) { benchNAT64Big(b, false, false) })
	b.Run("Baseline/restore-UDP", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		sc := scenarios()[0]
		fx := newVecFixture(b, benchConfig(b), sc.ip, sc.restoreN)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := threadCPU()
		for b.Loop() {
			fx.restore()
		}
		cpu := threadCPU() - cpu0
		pkts := float64(b.N) * 64
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/pkts, "ns/pkt")
		b.ReportMetric(float64(cpu.Nanoseconds())/pkts, "cpu-ns/pkt")
	})
}

// threadCPU returns the CPU time (user + system) of the calling thread.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// restoreCPU returns the restore's CPU cost per packet, in nanoseconds.
func restoreCPU(fx *vecFixture) float64 {
	const rounds = 20000
	c0 := threadCPU()
	for i := 0; i < rounds; i++ {
		fx.restore()
	}
	return float64((threadCPU() - c0).Nanoseconds()) / (rounds * 64)
}

// measureVectors runs fx's vector of 64 frames of frameLen bytes for the
// benchmark and reports ns/pkt, cpu-ns/pkt (thread CPU time), the share of
// it that restoring the frames costs (restore-cpu-ns/pkt) and what is
// left for translation (xlat-cpu-ns/pkt).
func measureVectors(b *testing.B, fx *vecFixture, frameLen int) {
	restore := restoreCPU(fx)
	b.ReportAllocs()
	b.SetBytes(int64(frameLen) * 64)
	b.ResetTimer()
	cpu0 := threadCPU()
	for b.Loop() {
		fx.run()
	}
	cpu := threadCPU() - cpu0
	pkts := float64(b.N) * 64
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/pkts, "ns/pkt")
	b.ReportMetric(float64(cpu.Nanoseconds())/pkts, "cpu-ns/pkt")
	b.ReportMetric(restore, "restore-cpu-ns/pkt")
	b.ReportMetric(float64(cpu.Nanoseconds())/pkts-restore, "xlat-cpu-ns/pkt")
}
