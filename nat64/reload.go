package nat64

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// Reloading [nat64] (SIGHUP). Keys that do not shape the tables apply to
// live state: the timeouts, nat64.port_reuse_delay,
// nat64.max_sessions_per_subscriber and nat64.filtering. pool4 may shrink:
// an address removed from it is retired (its BIB entries and sessions end,
// its blocks are released with their log events, nothing is allocated on
// it again, it is no longer InPool4), and an address retired by an earlier
// reload may come back; addresses that were not in pool4 at start are
// refused, as are static entries other than those dropped with their
// address. The other keys (ports, blocks, subscribers, deterministic mode,
// max_sessions) decide the tables' sizes and owners; the daemon refuses
// such a reload.

// ShapingKeys are the [nat64] keys a running table cannot take a change
// of: the daemon compares them and names the ones that differ. (pool4 and
// static may change within limits: Plan.Reconfigured judges them.)
var ShapingKeys = []string{"ports", "port_block_size", "max_blocks_per_subscriber", "deterministic",
	"subscriber_prefix_length", "subscribers", "max_sessions"}

// ShapingDiff lists the ShapingKeys whose values differ between a and b
// (as "nat64.KEY").
func ShapingDiff(a, b *nat64conf.NAT64) []string {
	va, vb := reflect.ValueOf(*a), reflect.ValueOf(*b)
	ty := va.Type()
	var diff []string
	for i := 0; i < ty.NumField(); i++ {
		tag := ty.Field(i).Tag.Get("toml")
		for _, k := range ShapingKeys {
			if tag == k && !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
				diff = append(diff, "nat64."+k)
			}
		}
	}
	return diff
}

// Reconfigured returns the plan for c, whose shaping keys must equal
// those p was built from: it keeps p's owners, hash seeds, sizes and
// address indexes (those of the pool4 at start), so that p's tables take
// it with Table.SetPlan. c.Pool4 may hold fewer addresses than the pool4
// at start (the others are retired), never others; c.Static must be p's
// static entries minus those on retired addresses.
func (p *Plan) Reconfigured(c *nat64conf.NAT64) (*Plan, error) {
	start := *c
	start.Pool4 = p.pool4
	q, err := NewPlan(&start, Options{Workers: p.workers, MaxHeldSYN: p.maxHeldSYN, MaxFrags: p.maxFrags})
	if err != nil {
		return nil, err
	}
	if q.addrs != p.addrs || q.portLo != p.portLo || q.portHi != p.portHi || q.bs != p.bs || q.maxBlocks != p.maxBlocks ||
		q.det != p.det || q.spl != p.spl || !reflect.DeepEqual(q.pool4, p.pool4) || !reflect.DeepEqual(q.subs, p.subs) ||
		q.maxSess != p.maxSess {
		return nil, errors.New("nat64: the new configuration changes the shape of the tables (a restart is needed)")
	}
	if q.det {
		// Every subscriber's range is computed from pool4 and its
		// order, by the daemon and by `xlatd nat64 lookup` from the file.
		same := len(c.Pool4) == len(p.pool4)
		for i := 0; same && i < len(c.Pool4); i++ {
			same = c.Pool4[i].Masked() == p.pool4[i]
		}
		if !same {
			return nil, errors.New("nat64.pool4: with nat64.deterministic = true every subscriber's range is computed from pool4: changing it needs a restart")
		}
	}
	if q.retired, err = p.retiredBy(c.Pool4); err != nil {
		return nil, err
	}
	var keep []Static
	for _, st := range p.static {
		if q.InPool4(st.Addr4) {
			keep = append(keep, st)
		}
	}
	if len(q.static) != len(keep) || len(keep) > 0 && !reflect.DeepEqual(q.static, keep) {
		return nil, errors.New("nat64.static: a reload may only drop the static entries on pool4 addresses it removes; " +
			"adding or changing static entries needs a restart")
	}
	q.seed, q.ownerKey, q.maxBIB = p.seed, p.ownerKey, p.maxBIB
	return q, nil
}

// retiredBy marks the addresses of p's pool4 (at start) that pool4 does
// not hold; nil when it holds them all. An address of pool4 outside p's
// is an error.
func (p *Plan) retiredBy(pool4 []netip.Prefix) ([]bool, error) {
	retired := make([]bool, p.addrs)
	for i := range retired {
		retired[i] = true
	}
	for i, pf := range pool4 {
		pf = pf.Masked()
		if !pf.Addr().Is4() {
			return nil, fmt.Errorf("nat64.pool4[%d]: %s is not an IPv4 prefix", i, pf)
		}
		in := false
		for _, s := range p.pool4 {
			in = in || s.Bits() <= pf.Bits() && s.Contains(pf.Addr())
		}
		if !in {
			return nil, fmt.Errorf("nat64.pool4[%d]: %s was not in nat64.pool4 when xlatd started; adding pool4 addresses needs a restart "+
				"(the tables and the workers' shares of the port blocks were cut for the pool4 at start; a reload may only remove addresses, or bring back removed ones)", i, pf)
		}
		first, _ := p.addrIndex(pf.Addr().As4())
		for a := 0; a < 1<<(32-pf.Bits()); a++ {
			retired[first+a] = false
		}
	}
	for _, r := range retired {
		if r {
			return retired, nil
		}
	}
	return nil, nil
}

// Retired reports whether a is an address of pool4 at start that a reload
// removed.
func (p *Plan) Retired(a netip.Addr) bool {
	if !a.Is4() || p.retired == nil {
		return false
	}
	i, ok := p.addrIndex(a.As4())
	return ok && p.retired[i]
}

// Retiring reports whether p has pool4 addresses removed by a reload.
func (p *Plan) Retiring() bool { return p.retired != nil }

// Retirement is what Table.SetPlan ended on the pool4 addresses the new
// plan retires.
type Retirement struct {
	Addresses int // addresses retired
	BIB       int // BIB entries deleted (static ones included)
	Sessions  int // sessions deleted
	Blocks    int // port blocks released (each logged)
}

// SetPlan makes t use q (from Plan.Reconfigured of t's plan): new packets
// get q's timeouts, filtering and quotas at once, and live sessions whose
// expiry lies further ahead than q's timeout for their state allows are
// brought forward (a longer timeout applies from a session's next
// packet). The pool4 addresses q retires end at once: every BIB entry on
// them (static ones too) with its sessions, their blocks released and
// logged (natlog.BlockRelease), and no block is handed out on them again;
// an address q brings back gets its blocks back (as free, after their
// reuse delay). Call it from the table's goroutine, between vectors; it
// visits every session and, when addresses retire, every BIB entry in use
// once.
func (t *Table) SetPlan(q *Plan, now int64) Retirement {
	old := t.p
	t.p = q
	if q.adf {
		t.buildLists()
	}
	ret := t.retire(old, q, now)
	nowms := t.ms(now)
	for i := range t.sess {
		s := &t.sess[i]
		if s.bib == 0 {
			continue
		}
		exp := nowms + t.timeout(s.state)
		if int32(exp-s.expire) < 0 {
			s.expire = exp
			t.noteDue(exp)
		}
	}
	return ret
}

// retire ends the state on the addresses q retires that old did not, and
// gives back the blocks of those old retired that q does not.
func (t *Table) retire(old, q *Plan, now int64) Retirement {
	var ret Retirement
	if old.retired == nil && q.retired == nil {
		return ret
	}
	live := func(p *Plan, a int) bool { return p.retired == nil || !p.retired[a] }
	going := make([]bool, q.addrs)
	for a := range going {
		switch {
		case live(old, a) && !live(q, a):
			going[a] = true
			ret.Addresses++
		case !live(old, a) && live(q, a):
			var n uint32
			for g := a * q.bpa; g < (a+1)*q.bpa; g++ {
				if q.blockOwner(g) == t.worker {
					n++
				}
			}
			t.addrFreeBlocks[a] = n // none was active while retired
		}
	}
	if ret.Addresses == 0 {
		return ret
	}
	released, deleted := t.C.BlocksReleased, t.C.BIBDeleted
	on := func(e *bibEnt) bool {
		a, ok := q.addrIndex(e.addr4)
		return ok && going[a]
	}
	// The sessions on them (the last takes a dynamic entry with it), then
	// the entries left (static ones).
	for i := uint32(0); i < uint32(len(t.sess)); {
		if b := t.sess[i].bib; b != 0 && on(&t.bib[b-1]) {
			t.delSession(i, now) // and another session may move into slot i
			ret.Sessions++
			continue
		}
		i++
	}
	for i := uint32(0); i < t.bibHigh; i++ {
		if e := &t.bib[i]; e.used() && on(e) {
			t.delBIB(i+1, now)
		}
	}
	ret.BIB = int(t.C.BIBDeleted - deleted)
	ret.Blocks = int(t.C.BlocksReleased - released)
	for a, g := range going {
		if g {
			t.addrFreeBlocks[a] = 0 // never chosen for a new subscriber
		}
	}
	// A subscriber keeps its address while it lives (paired pooling); one
	// left without blocks on a retired address starts afresh.
	for i := uint32(0); i < t.subHigh; i++ {
		if s := &t.subs[i]; s.used && s.addr != 0 && going[s.addr-1] && s.nblocks == 0 {
			s.addr, s.quota = 0, false
		}
	}
	return ret
}

// Plan returns the plan t uses.
func (t *Table) Plan() *Plan { return t.p }

// SessionCounts counts the sessions by protocol (ProtoTCP, ProtoUDP,
// ProtoICMP) and state name (as SessionEntry.State); it visits every
// session in use once.
func (t *Table) SessionCounts(add func(p Proto, state string, n int)) {
	var n [4][len(stateNames)]int
	for i := range t.sess {
		s := &t.sess[i]
		if s.bib == 0 {
			continue
		}
		n[pidx(t.bib[s.bib-1].proto)][s.state]++
	}
	for _, p := range []Proto{ProtoTCP, ProtoUDP, ProtoICMP} {
		for st, c := range n[pidx(p)] {
			if c > 0 {
				add(p, stateNames[st], c)
			}
		}
	}
}

// OwnedBlocks returns, per pool4 address (in Pool4Addrs order), the port
// blocks worker owns there. It visits every block: call it once, not per
// request.
func (p *Plan) OwnedBlocks(worker int) []int {
	owned := make([]int, p.addrs)
	for g := 0; g < p.addrs*p.bpa; g++ {
		if p.blockOwner(g) == worker {
			owned[g/p.bpa]++
		}
	}
	return owned
}

// Pool4Addrs returns the pool4 addresses in order.
func (p *Plan) Pool4Addrs() []netip.Addr {
	out := make([]netip.Addr, p.addrs)
	for a := range out {
		out[a] = netip.AddrFrom4(p.addrAt(a))
	}
	return out
}

// BlocksPerAddress is the number of port blocks on one pool4 address.
func (p *Plan) BlocksPerAddress() int { return p.bpa }

// FreeBlocks copies, per pool4 address, how many of the blocks t's worker
// owns there are free (not held by a subscriber; blocks waiting out
// port_reuse_delay are free here) into dst, grown as needed.
func (t *Table) FreeBlocks(dst []int) []int {
	dst = dst[:0]
	for _, n := range t.addrFreeBlocks {
		dst = append(dst, int(n))
	}
	return dst
}

// BIBCounts counts the BIB entries by protocol; it visits every entry in
// use once.
func (t *Table) BIBCounts(add func(p Proto, n int)) {
	var n [4]int
	for i := uint32(0); i < t.bibHigh; i++ {
		if e := &t.bib[i]; e.used() {
			n[pidx(e.proto)]++
		}
	}
	for _, p := range []Proto{ProtoTCP, ProtoUDP, ProtoICMP} {
		add(p, n[pidx(p)])
	}
}

// NumResults is the number of Result values (for tables of counters).
const NumResults = numResults
