package gen

// TokenBucket paces a sender at Rate packets per second with batch
// granularity: tokens accrue continuously, capped at Burst, and a batch
// goes out once enough tokens cover it. Times are monotonic nanoseconds.
type TokenBucket struct {
	perNs  float64
	burst  float64
	tokens float64
	last   int64
}

// NewTokenBucket returns a bucket for rate packets/s holding at most burst
// tokens, starting full at time now.
func NewTokenBucket(rate float64, burst int, now int64) *TokenBucket {
	if burst < 1 {
		burst = 1
	}
	return &TokenBucket{perNs: rate / 1e9, burst: float64(burst), tokens: float64(burst), last: now}
}

func (b *TokenBucket) refill(now int64) {
	if now > b.last {
		b.tokens += float64(now-b.last) * b.perNs
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
}

// Take returns n if n tokens are available at time now (and spends them),
// else 0.
func (b *TokenBucket) Take(now int64, n int) int {
	b.refill(now)
	if b.tokens < float64(n) {
		return 0
	}
	b.tokens -= float64(n)
	return n
}

// Wait returns how many nanoseconds after now n tokens will be available
// (0 if they already are).
func (b *TokenBucket) Wait(now int64, n int) int64 {
	b.refill(now)
	missing := float64(n) - b.tokens
	if missing <= 0 || b.perNs <= 0 {
		return 0
	}
	return int64(missing/b.perNs) + 1
}
