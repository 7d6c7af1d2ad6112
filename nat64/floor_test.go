package nat64

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkMemoryFloor measures what this machine's memory allows the
// Established benchmarks at best: an area the size of the NAT64 tables
// of 1M sessions (64 MB, mapped as they are, with huge pages asked for),
// and vectors of 64 flows, each flow one random line per round, a round
// depending on the previous one's loads (as an index slot names its
// entry). rounds=N is N passes over the vector, the 64 loads of a pass
// independent of each other, so they can overlap: the shape of the batched
// lookups with their touch passes. dependent is one load after another
// (no overlap at all). ns/pkt here is a floor for a design that needs that
// many rounds of misses per packet, before any work is done.
func BenchmarkMemoryFloor(b *testing.B) {
	const size = 64 << 20
	var mapped [][]byte
	defer func() {
		for _, m := range mapped {
			unmap(m)
		}
	}()
	area := bigSlice[uint64](size/8, &mapped)
	n := uint64(len(area))
	rng := uint64(0x9e3779b97f4a7c15)
	next := func() uint64 {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return rng
	}
	// Each line's first word names another line: one cycle through all
	// lines (Sattolo's shuffle), so that the dependent chase never falls
	// into a short cycle that stays in the caches.
	const words = 8 // per 64-byte line
	lines := n / words
	perm := make([]uint32, lines)
	for i := range perm {
		perm[i] = uint32(i)
	}
	for i := lines - 1; i > 0; i-- {
		j := next() % i
		perm[i], perm[j] = perm[j], perm[i]
	}
	for i := uint64(0); i < lines; i++ {
		area[i*words] = uint64(perm[i]) * words
	}
	perm = nil
	line := func() uint64 { return next() % lines * words }
	huge := anonHugeMB()
	run := func(b *testing.B, body func() uint64) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var sink uint64
		cpu0, start := threadCPU(), time.Now()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sink += body()
		}
		b.StopTimer()
		pkts := float64(b.N) * MaxBatch
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/pkts, "ns/pkt")
		b.ReportMetric(float64((threadCPU()-cpu0).Nanoseconds())/pkts, "cpu-ns/pkt")
		b.ReportMetric(huge, "hugepage-MB")
		if sink == 1 {
			b.Log(sink)
		}
	}
	for _, rounds := range []int{1, 2, 3, 4} {
		b.Run(fmt.Sprintf("rounds=%d", rounds), func(b *testing.B) {
			var idx [MaxBatch]uint64
			run(b, func() uint64 {
				for k := range idx {
					idx[k] = line()
				}
				for r := 0; r < rounds; r++ {
					for k := range idx {
						idx[k] = area[idx[k]]
					}
				}
				return idx[0]
			})
		})
	}
	// wide: three rounds, the second reading two independent lines per
	// flow (4 lines in 3 rounds: the shape of the batched lookups, whose
	// second round reads the BIB entry and the session index slot at
	// once). Compare with rounds=3 (3 lines) and rounds=4 (4 lines).
	b.Run("wide=1+2+1", func(b *testing.B) {
		var idx [MaxBatch]uint64
		far := lines / 3 * words
		run(b, func() uint64 {
			for k := range idx {
				idx[k] = line()
			}
			for k := range idx {
				idx[k] = area[idx[k]]
			}
			for k := range idx {
				x := idx[k]
				idx[k] = (area[x] + area[(x+far)%n]) % n
			}
			for k := range idx {
				idx[k] = area[idx[k]]
			}
			return idx[0]
		})
	})
	// Each shape is its own plain loop on purpose: one loop driven by a
	// list of widths measured 1.3-2x these floors (its own overhead).
	//
	// wide=1+2: two rounds, the second reading two independent lines per
	// flow: the shape of the batched lookups since sessions live in their
	// own table's slots (the BIB index slot; then the BIB entry and the
	// session's line). lines=N: one round of N independent lines per flow,
	// the cost of lines themselves, whatever the rounds.
	b.Run("wide=1+2", func(b *testing.B) {
		var idx [MaxBatch]uint64
		far := lines / 3 * words
		run(b, func() uint64 {
			for k := range idx {
				idx[k] = line()
			}
			for k := range idx {
				idx[k] = area[idx[k]]
			}
			for k := range idx {
				x := idx[k]
				idx[k] = (area[x] + area[(x+far)%n]) % n
			}
			return idx[0]
		})
	})
	for _, w := range []uint64{2, 3} {
		b.Run(fmt.Sprintf("lines=%d", w), func(b *testing.B) {
			var idx [MaxBatch]uint64
			far := lines / 3 * words
			run(b, func() uint64 {
				for k := range idx {
					idx[k] = line()
				}
				for k := range idx {
					x := idx[k]
					v := area[x]
					for q := uint64(1); q < w; q++ {
						v += area[(x+q*far)%n]
					}
					idx[k] = v
				}
				return idx[0]
			})
		})
	}
	b.Run("dependent", func(b *testing.B) {
		x := line()
		run(b, func() uint64 {
			for k := 0; k < MaxBatch; k++ {
				x = area[x]
			}
			return x
		})
	})
}

// anonHugeMB is the process's anonymous memory in transparent huge pages
// (smaps_rollup), in MB; -1 when it cannot be read.
func anonHugeMB() float64 {
	f, err := os.Open("/proc/self/smaps_rollup")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "AnonHugePages:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}
