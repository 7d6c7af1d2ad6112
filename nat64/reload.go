package nat64

import (
	"errors"
	"net/netip"
	"reflect"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// Reloading the [nat64] keys that do not shape the tables (SIGHUP): the
// timeouts, nat64.port_reuse_delay, nat64.max_sessions_per_subscriber and
// nat64.filtering. Everything else (pool4, ports, blocks, subscribers,
// deterministic mode, max_sessions, static entries) decides the tables'
// sizes, owners and contents; the daemon refuses such a reload.

// ShapingKeys are the [nat64] keys a running table cannot take a change
// of: the daemon compares them and names the ones that differ.
var ShapingKeys = []string{"pool4", "ports", "port_block_size", "max_blocks_per_subscriber", "deterministic",
	"subscriber_prefix_length", "subscribers", "max_sessions", "static"}

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
// those p was built from: it keeps p's owners, hash seeds and sizes, so
// that p's tables take it with Table.SetPlan.
func (p *Plan) Reconfigured(c *nat64conf.NAT64) (*Plan, error) {
	q, err := NewPlan(c, Options{Workers: p.workers, MaxHeldSYN: p.maxHeldSYN, MaxFrags: p.maxFrags})
	if err != nil {
		return nil, err
	}
	if q.addrs != p.addrs || q.portLo != p.portLo || q.portHi != p.portHi || q.bs != p.bs || q.maxBlocks != p.maxBlocks ||
		q.det != p.det || q.spl != p.spl || !reflect.DeepEqual(q.pool4, p.pool4) || !reflect.DeepEqual(q.subs, p.subs) ||
		q.maxSess != p.maxSess || !reflect.DeepEqual(q.static, p.static) {
		return nil, errors.New("nat64: the new configuration changes the shape of the tables (a restart is needed)")
	}
	q.seed, q.ownerKey, q.maxBIB = p.seed, p.ownerKey, p.maxBIB
	return q, nil
}

// SetPlan makes t use q (from Plan.Reconfigured of t's plan): new packets
// get q's timeouts, filtering and quotas at once, and live sessions whose
// expiry lies further ahead than q's timeout for their state allows are
// brought forward (a longer timeout applies from a session's next
// packet). Call it from the table's goroutine, between vectors; it visits
// every session in use once.
func (t *Table) SetPlan(q *Plan, now int64) {
	t.p = q
	nowms := t.ms(now)
	for i := uint32(0); i < t.sessHigh; i++ {
		s := &t.sess[i]
		if s.bib == 0 {
			continue
		}
		exp := nowms + t.timeout(s.state)
		if int32(exp-s.expire) < 0 {
			s.expire = exp
			t.wheelUnlink(i)
			t.wheelLink(i, exp)
		}
	}
}

// Plan returns the plan t uses.
func (t *Table) Plan() *Plan { return t.p }

// SessionCounts counts the sessions by protocol (ProtoTCP, ProtoUDP,
// ProtoICMP) and state name (as SessionEntry.State); it visits every
// session in use once.
func (t *Table) SessionCounts(add func(p Proto, state string, n int)) {
	var n [4][len(stateNames)]int
	for i := uint32(0); i < t.sessHigh; i++ {
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
		if e := &t.bib[i]; e.used {
			n[pidx(e.proto)]++
		}
	}
	for _, p := range []Proto{ProtoTCP, ProtoUDP, ProtoICMP} {
		add(p, n[pidx(p)])
	}
}

// NumResults is the number of Result values (for tables of counters).
const NumResults = numResults
