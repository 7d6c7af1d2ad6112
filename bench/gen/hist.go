package gen

import (
	"math"
	"math/bits"
)

// Histogram is a fixed-size log-linear histogram of non-negative
// nanosecond values (HDR-histogram style): exact below 64, then 32
// sub-buckets per power of two, so any recorded value is known to within
// 1/32 (about 3%). Recording never allocates.
type Histogram struct {
	Counts   [histBuckets]uint64
	N        uint64
	Min, Max int64
	Sum      float64
}

const (
	histTop     = 6 // significant bits kept
	histFull    = 1 << histTop
	histHalf    = histFull / 2
	histBuckets = histFull + (63-histTop+1)*histHalf
)

func bucketOf(v uint64) int {
	if v < histFull {
		return int(v)
	}
	shift := bits.Len64(v) - histTop
	top := v >> uint(shift)
	return histFull + (shift-1)*histHalf + int(top-histHalf)
}

// bucketRange returns the smallest and largest values in bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < histFull {
		return uint64(i), uint64(i)
	}
	k := i - histFull
	shift := uint(k/histHalf + 1)
	top := uint64(k%histHalf + histHalf)
	return top << shift, (top+1)<<shift - 1
}

// Reset empties the histogram.
func (h *Histogram) Reset() { *h = Histogram{} }

// Record adds one value; negative values count as zero.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	if h.N == 0 || v < h.Min {
		h.Min = v
	}
	if v > h.Max {
		h.Max = v
	}
	h.N++
	h.Sum += float64(v)
	h.Counts[bucketOf(uint64(v))]++
}

// Merge adds o into h.
func (h *Histogram) Merge(o *Histogram) {
	if o.N == 0 {
		return
	}
	if h.N == 0 || o.Min < h.Min {
		h.Min = o.Min
	}
	if o.Max > h.Max {
		h.Max = o.Max
	}
	h.N += o.N
	h.Sum += o.Sum
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
}

// Quantile returns the value at quantile q in [0,1]: the midpoint of the
// bucket holding the ceil(q*N)-th smallest value, clamped to [Min, Max].
// It returns 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) int64 {
	if h.N == 0 {
		return 0
	}
	if q <= 0 {
		return h.Min
	}
	if q >= 1 {
		return h.Max
	}
	rank := uint64(math.Ceil(q * float64(h.N)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			v := int64(lo + (hi-lo)/2)
			if v < h.Min {
				v = h.Min
			}
			if v > h.Max {
				v = h.Max
			}
			return v
		}
	}
	return h.Max
}

// Mean is the arithmetic mean (0 when empty).
func (h *Histogram) Mean() float64 {
	if h.N == 0 {
		return 0
	}
	return h.Sum / float64(h.N)
}

// Bucket is one non-empty histogram bucket for reports.
type Bucket struct {
	Lo, Hi int64
	Count  uint64
}

// Buckets lists the non-empty buckets in ascending order (allocates; for
// reports only).
func (h *Histogram) Buckets() []Bucket {
	var out []Bucket
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		lo, hi := bucketRange(i)
		out = append(out, Bucket{Lo: int64(lo), Hi: int64(hi), Count: c})
	}
	return out
}
