package gen

// SeqTracker classifies received sequence numbers: unique, duplicate,
// reordered (RFC 4737: arrived with a sequence number lower than the next
// expected one, i.e. after a later packet) and out of range (larger than
// the trial can have sent, so not ours). A bitmap sized once per trial
// detects duplicates exactly without allocating per packet.
type SeqTracker struct {
	seen       []uint64
	base       uint64
	limit      uint64
	next       uint64 // highest sequence number seen + 1
	Unique     uint64
	Dup        uint64
	Reordered  uint64
	OutOfRange uint64
}

// Reset prepares for a trial of at most n packets (sequence numbers
// 0..n-1), reusing the bitmap when it is big enough.
func (t *SeqTracker) Reset(n uint64) { t.ResetBase(0, n) }

// ResetBase prepares for a trial whose sequence numbers run from base to
// base+n-1. Giving each trial its own base keeps late frames of an earlier
// trial out of the count.
func (t *SeqTracker) ResetBase(base, n uint64) {
	words := int((n + 63) / 64)
	if cap(t.seen) < words {
		t.seen = make([]uint64, words)
	} else {
		t.seen = t.seen[:words]
		clear(t.seen)
	}
	*t = SeqTracker{seen: t.seen, base: base, limit: n}
}

// Add records one received sequence number.
func (t *SeqTracker) Add(seq uint64) {
	if seq < t.base || seq-t.base >= t.limit {
		t.OutOfRange++
		return
	}
	seq -= t.base
	w, bit := seq/64, uint64(1)<<(seq%64)
	if t.seen[w]&bit != 0 {
		t.Dup++
		return
	}
	t.seen[w] |= bit
	t.Unique++
	if seq < t.next {
		t.Reordered++
		return
	}
	t.next = seq + 1
}

// Lost is how many of the sent packets never arrived.
func (t *SeqTracker) Lost(sent uint64) uint64 {
	if t.Unique >= sent {
		return 0
	}
	return sent - t.Unique
}
