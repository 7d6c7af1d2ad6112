package dataplane

import (
	"encoding/binary"
	"time"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/neigh"
)

// This file holds next-hop resolution: the cache of neighbour lookups, the
// MAC addresses written into outgoing frames, and the frames held while
// the kernel resolves a neighbour.

// nhCacheBits sizes the next-hop cache: 1<<nhCacheBits entries, direct
// mapped.
const nhCacheBits = 6

// nhEntry is one cached lookup: the destination looked up (an IPv4 address
// in the first 4 bytes of key, as neigh does), its egress interface and
// the answer.
type nhEntry struct {
	k0    uint64
	k1    uint64
	oif   int32
	v4    bool
	res   neigh.Result
	mac   [6]byte
	valid bool
	// vec is the vector a Miss or NoRoute answer was found in: such an
	// answer is trusted for that vector only, so that every vector that
	// still misses asks the kernel again (the mirror rate-limits that).
	vec uint64
}

// nhCache remembers the answers of one neighbour snapshot. Snapshots are
// immutable, so a Found answer stays true until the worker sees another
// snapshot, however many vectors that takes; then the whole cache is
// dropped.
type nhCache struct {
	snap NextHops // the snapshot the entries came from
	vec  uint64   // current vector, for Miss and NoRoute answers
	ent  [1 << nhCacheBits]nhEntry
}

// begin starts a vector with snapshot s, dropping the entries of an older
// snapshot.
func (c *nhCache) begin(s NextHops) {
	c.vec++
	if s != c.snap {
		c.snap = s
		c.ent = [1 << nhCacheBits]nhEntry{}
	}
}

func nhSlot(k0, k1 uint64, oif int32) uint64 {
	h := (k0 ^ k1 ^ uint64(uint32(oif))) * 0x9e3779b97f4a7c15
	return h >> (64 - nhCacheBits)
}

// found returns the cache entry of a next hop found in the current
// snapshot, or nil. (An entry rather than the MAC address: the compiler
// returns a [6]byte through memory, to be read back at once.)
func (c *nhCache) found(oif int, k0, k1 uint64, v4 bool) *nhEntry {
	e := &c.ent[nhSlot(k0, k1, int32(oif))]
	if e.valid && e.res == neigh.Found && e.k0 == k0 && e.k1 == k1 && e.oif == int32(oif) && e.v4 == v4 {
		return e
	}
	return nil
}

// lookup returns the next hop's MAC address of the destination k0, k1 (an
// IPv4 address in the low 4 bytes of k0 when v4; an IPv6 address as two
// little-endian words) out of interface oif. A lookup that misses the cache
// goes to the snapshot; a neighbour Miss adds a resolution request to req.
func (c *nhCache) lookup(oif int, k0, k1 uint64, v4 bool, req *neigh.Requests) ([6]byte, neigh.Result) {
	e := &c.ent[nhSlot(k0, k1, int32(oif))]
	if e.valid && e.k0 == k0 && e.k1 == k1 && e.oif == int32(oif) && e.v4 == v4 && (e.res == neigh.Found || e.vec == c.vec) {
		return e.mac, e.res
	}
	return c.fill(e, oif, k0, k1, v4, req)
}

// fill looks key up in the snapshot and caches the answer in e.
func (c *nhCache) fill(e *nhEntry, oif int, k0, k1 uint64, v4 bool, req *neigh.Requests) ([6]byte, neigh.Result) {
	var dst [16]byte
	binary.LittleEndian.PutUint64(dst[0:8], k0)
	binary.LittleEndian.PutUint64(dst[8:16], k1)
	var mac [6]byte
	var nh [16]byte
	var res neigh.Result
	if v4 {
		mac, nh, res = c.snap.Lookup4(oif, [4]byte(dst[0:4]))
	} else {
		mac, nh, res = c.snap.Lookup6(oif, dst)
	}
	*e = nhEntry{k0: k0, k1: k1, oif: int32(oif), v4: v4, res: res, mac: mac, valid: true, vec: c.vec}
	if res == neigh.Miss {
		req.Add(oif, nh, v4)
	}
	return mac, res
}

// holdSize bounds the frames a worker holds while the kernel resolves a
// next hop; holdTime is how long one is held before it is dropped.
const (
	holdSize = 16
	holdTime = int64(time.Second)
)

type heldFrame struct {
	f        batch.Frame
	mi       int
	ch       uint64
	side     batch.Side
	deadline int64
}

// badFrame is nextHop's answer for a frame too short for its IP header.
const badFrame neigh.Result = 255

// nextHop finds the MAC address of the next hop of frame b leaving on side
// s, through the cache.
func (w *Worker) nextHop(b []byte, s batch.Side) (mac [6]byte, res neigh.Result) {
	if w.nhc.snap == nil {
		return mac, neigh.NoRoute
	}
	k0, k1, v4, res := w.dstKey(b, s)
	if res != neigh.Found {
		return mac, res
	}
	return w.nhc.lookup(w.ifindex[s], k0, k1, v4, &w.req)
}

// dstKey reads the destination of frame b leaving on side s as a cache key
// (res Found), or says why it has none (NoRoute, badFrame). In
// forward-only mode an IPv6 frame leaving on the IPv4 side (and the
// reverse) goes to the next hop of its destination's translation, as the
// translated frame would. The key is read straight from the frame:
// building an address in a local array and loading it back in wider words
// would stall on store forwarding once per frame, and so would returning
// the key as an array (arrays come back through memory, scalars in
// registers).
func (w *Worker) dstKey(b []byte, s batch.Side) (k0, k1 uint64, v4 bool, res neigh.Result) {
	switch {
	case len(b) >= header.EthernetLen+20 && b[12] == 0x08 && b[13] == 0x00:
		dst4 := (*[4]byte)(b[header.EthernetLen+16 : header.EthernetLen+20])
		if s == batch.Side6 { // forward-only
			var d6 [16]byte
			if w.fwdMap == nil || w.fwdMap.To6(dst4, &d6) != mapping.OK {
				return 0, 0, false, neigh.NoRoute
			}
			return binary.LittleEndian.Uint64(d6[0:8]), binary.LittleEndian.Uint64(d6[8:16]), false, neigh.Found
		}
		return uint64(binary.LittleEndian.Uint32(dst4[:])), 0, true, neigh.Found
	case len(b) >= header.EthernetLen+40 && b[12] == 0x86 && b[13] == 0xdd:
		dst6 := b[header.EthernetLen+24 : header.EthernetLen+40]
		if s == batch.Side4 && !w.oneArmed { // forward-only
			var d4 [4]byte
			if w.fwdMap == nil || w.fwdMap.To4((*[16]byte)(dst6), &d4) != mapping.OK {
				return 0, 0, false, neigh.NoRoute
			}
			return uint64(binary.LittleEndian.Uint32(d4[:])), 0, true, neigh.Found
		}
		return binary.LittleEndian.Uint64(dst6[0:8]), binary.LittleEndian.Uint64(dst6[8:16]), false, neigh.Found
	}
	return 0, 0, false, badFrame
}

// send fills in the MAC addresses of a frame leaving on side s and queues
// it, or holds it while its next hop resolves.
func (w *Worker) send(f *batch.Frame, mi int, ch uint64, s batch.Side) bool {
	p := w.out[s]
	if p < 0 {
		w.dp[NoTXSocket]++
		return false
	}
	b := f.Buf[f.Off : f.Off+f.Len]
	mac, res := w.nextHop(b, s)
	switch res {
	case neigh.Found:
	case neigh.Miss:
		w.dp[NeighMiss]++
		if w.nheld < len(w.held) {
			w.held[w.nheld] = heldFrame{f: *f, mi: mi, ch: ch, side: s, deadline: w.now + holdTime}
			w.nheld++
			w.dp[NeighHeld]++
			return true
		}
		return false
	case badFrame:
		w.dp[BadOutput]++
		return false
	default:
		w.dp[NoRoute]++
		return false
	}
	*(*[6]byte)(b[0:6]) = mac
	*(*[6]byte)(b[6:12]) = w.mac[s]
	return w.queue(p, f, mi, ch, s)
}

// retryHeld sends the held frames whose next hop is now known and drops
// those held too long or without a route.
func (w *Worker) retryHeld() {
	if w.nhc.snap == nil {
		return
	}
	k := 0
	for i := 0; i < w.nheld; i++ {
		h := &w.held[i]
		b := h.f.Buf[h.f.Off : h.f.Off+h.f.Len]
		mac, res := w.nextHop(b, h.side)
		switch {
		case res == neigh.Found:
			*(*[6]byte)(b[0:6]) = mac
			*(*[6]byte)(b[6:12]) = w.mac[h.side]
			if !w.queue(w.out[h.side], &h.f, h.mi, h.ch, h.side) {
				w.release(h.mi, h.ch)
			}
		case res == neigh.Miss && w.now < h.deadline:
			w.held[k] = *h
			k++
		default:
			w.dp[NeighHoldDropped]++
			w.release(h.mi, h.ch)
		}
	}
	for i := k; i < w.nheld; i++ {
		w.held[i] = heldFrame{}
	}
	w.nheld = k
}
