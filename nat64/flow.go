package nat64

import "encoding/binary"

// Outbound is the state step of an IPv6 -> IPv4 packet of protocol p from
// (src6, sport) to (dst4, dport) (dst4 already extracted from pool6; for
// ICMP queries sport is the identifier and dport is ignored). It finds or
// creates the BIB entry and session (RFC 6146 sections 3.5.1-3.5.3),
// drives the TCP state machine with flags and returns the IPv4 source.
func (t *Table) Outbound(now int64, p Proto, src6 [16]byte, sport uint16, dst4 [4]byte, dport uint16, flags TCPFlags) (src4 [4]byte, sport4 uint16, r Result) {
	src4, sport4, r = t.outbound(now, p, src6, sport, dst4, dport, flags, t.hash6(p, src6, sport))
	t.C.Results[r]++
	return
}

func (t *Table) outbound(now int64, p Proto, src6 [16]byte, sport uint16, dst4 [4]byte, dport uint16, flags TCPFlags, h6 uint64) ([4]byte, uint16, Result) {
	if pidx(p) > 2 {
		return [4]byte{}, 0, Unsupported
	}
	if p == ProtoICMP {
		dport = 0
	}
	nowms := t.ms(now)
	b := t.findBIB6(h6, p, src6, sport)
	if b != 0 {
		e := &t.bib[b-1]
		if s := t.findSess(t.hashSess(b, dst4, dport), b, dst4, dport); s != 0 {
			t.touch(s-1, nowms, flags, true)
			return e.addr4, e.port4, OK
		}
		if p == ProtoTCP && flags&SYN == 0 {
			// RFC 6146 3.5.2.2: only a SYN opens a TCP session (CLOSED
			// state: other packets are dropped... translated without
			// state by Jool; xlatd drops).
			return [4]byte{}, 0, NoMapping
		}
		sv := t.subOf(e)
		if r := t.admitSession(sv); r != OK {
			return [4]byte{}, 0, r
		}
		t.newSession(b, sv, dst4, dport, nowms, p, true)
		if p == ProtoTCP {
			t.held.cancel(t, e.addr4, e.port4, dst4, dport)
		}
		return e.addr4, e.port4, OK
	}
	if p == ProtoTCP && flags&SYN == 0 {
		return [4]byte{}, 0, NoMapping
	}
	if t.sessFull() || t.bibFull() {
		return [4]byte{}, 0, TableFull
	}
	sv, r := t.subscriber(now, src6)
	if r != OK {
		return [4]byte{}, 0, r
	}
	if r := t.admitSession(sv); r != OK {
		return [4]byte{}, 0, r
	}
	a4, p4, r := t.allocPort(now, sv, p)
	if r != OK {
		if s := &t.subs[sv-1]; s.nblocks == 0 && s.nsess == 0 {
			t.freeSub(sv)
		}
		return [4]byte{}, 0, r
	}
	b = t.newBIB(p, src6, sport, a4, p4, false)
	t.newSession(b, sv, dst4, dport, nowms, p, true)
	if p == ProtoTCP {
		t.held.cancel(t, a4, p4, dst4, dport)
	}
	return a4, p4, OK
}

// admitSession checks the quotas for one more session of subscriber sv
// (+1; 0 = static) and of the table.
func (t *Table) admitSession(sv uint32) Result {
	if t.sessFull() {
		return TableFull
	}
	if sv != 0 && t.p.maxSessPerSub > 0 && int(t.subs[sv-1].nsess) >= t.p.maxSessPerSub {
		return QuotaSessions
	}
	return OK
}

// Inbound is the state step of an IPv4 -> IPv6 packet from (src4, sport)
// to the pool4 (dst4, dport) (ICMP: sport = dport = identifier). It
// returns the IPv6 destination (the IPv6 source is src4 under pool6).
// An IPv4-initiated TCP SYN without a mapping returns HoldSYN: the caller
// keeps the packet until a Notice for Tuple4{ProtoTCP, src4, dst4, sport,
// dport} says how it ends.
func (t *Table) Inbound(now int64, p Proto, src4 [4]byte, sport uint16, dst4 [4]byte, dport uint16, flags TCPFlags) (dst6 [16]byte, dport6 uint16, r Result) {
	dst6, dport6, r = t.inbound(now, p, src4, sport, dst4, dport, flags, t.hash4(p, dst4, dport))
	t.C.Results[r]++
	return
}

func (t *Table) inbound(now int64, p Proto, src4 [4]byte, sport uint16, dst4 [4]byte, dport uint16, flags TCPFlags, h4 uint64) ([16]byte, uint16, Result) {
	if pidx(p) > 2 {
		return [16]byte{}, 0, Unsupported
	}
	if p == ProtoICMP {
		sport = 0
	}
	nowms := t.ms(now)
	b := t.findBIB4(h4, p, dst4, dport)
	if b == 0 {
		if p == ProtoTCP && flags&(SYN|ACK|RST) == SYN {
			return [16]byte{}, 0, t.held.hold(t, nowms, src4, sport, dst4, dport)
		}
		return [16]byte{}, 0, NoMapping
	}
	e := &t.bib[b-1]
	if s := t.findSess(t.hashSess(b, src4, sport), b, src4, sport); s != 0 {
		t.touch(s-1, nowms, flags, false)
		return e.addr6, e.port6, OK
	}
	// No session: endpoint-independent filtering admits anyone to an
	// existing BIB entry; address-dependent only addresses the entry has
	// a session with (RFC 4787 REQ-8, RFC 6146 3.5.2).
	allowed := !t.p.adf || t.hasRemote(b, src4)
	if p == ProtoTCP {
		if flags&(SYN|ACK|RST) != SYN {
			return [16]byte{}, 0, NoMapping
		}
		if !allowed {
			return [16]byte{}, 0, t.held.hold(t, nowms, src4, sport, dst4, dport)
		}
	} else if !allowed {
		return [16]byte{}, 0, Filtered
	}
	sv := t.subOf(e)
	if r := t.admitSession(sv); r != OK {
		return [16]byte{}, 0, r
	}
	t.newSession(b, sv, src4, sport, nowms, p, false)
	return e.addr6, e.port6, OK
}

// hasRemote reports whether BIB entry b has a session with remote address
// a (address-dependent filtering: the lists are there).
func (t *Table) hasRemote(b uint32, a [4]byte) bool {
	for s := t.bibHead[b-1]; s != 0; s = t.sessNext[s-1] {
		if t.sess[s-1].remote == a {
			return true
		}
	}
	return false
}

// newBIB adds a BIB entry; returns its index + 1.
func (t *Table) newBIB(p Proto, a6 [16]byte, p6 uint16, a4 [4]byte, p4 uint16, static bool) uint32 {
	b := t.popBIB() // callers checked bibFull
	e := &t.bib[b-1]
	*e = bibEnt{addr6: a6, addr4: a4, port6: p6, port4: p4, proto: p, static: static}
	t.bib6.insert(t.hash6(p, a6, p6), b-1)
	t.bib4.insert(t.hash4(p, a4, p4), b-1)
	t.bibN++
	t.C.BIBCreated++
	return b
}

func (t *Table) addStatic(st Static) {
	if t.findBIB6(t.hash6(st.Proto, st.Addr6, st.Port6), st.Proto, st.Addr6, st.Port6) != 0 {
		return
	}
	t.newBIB(st.Proto, st.Addr6, st.Port6, st.Addr4, st.Port4, true)
}

func (t *Table) delBIB(b uint32, now int64) {
	e := &t.bib[b-1]
	t.bib6.remove(t.hash6(e.proto, e.addr6, e.port6), b-1, func(i uint32) uint64 {
		x := &t.bib[i]
		return t.hash6(x.proto, x.addr6, x.port6)
	})
	t.bib4.remove(t.hash4(e.proto, e.addr4, e.port4), b-1, func(i uint32) uint64 {
		x := &t.bib[i]
		return t.hash4(x.proto, x.addr4, x.port4)
	})
	p, a4, p4, sv := e.proto, e.addr4, e.port4, t.subOf(e) // the subscriber before freePort releases the block
	*e = bibEnt{}
	binary.LittleEndian.PutUint32(e.addr4[:], t.bibFree)
	t.bibFree = b
	t.bibN--
	t.C.BIBDeleted++
	t.freePort(now, p, a4, p4)
	if sv != 0 {
		if s := &t.subs[sv-1]; s.used && s.nblocks == 0 && s.nsess == 0 {
			t.freeSub(sv)
		}
	}
}

// newSession adds a session to BIB entry b (of subscriber sv + 1, 0 for a
// static entry) in its first state.
func (t *Table) newSession(b, sv uint32, a [4]byte, port uint16, nowms uint32, p Proto, from6 bool) {
	st := stUDP
	switch p {
	case ProtoICMP:
		st = stICMP
	case ProtoTCP:
		st = stV4Init
		if from6 {
			st = stV6Init
		}
	}
	exp := nowms + t.timeout(st) // callers checked sessFull
	v := t.insertSess(t.hashSess(b, a, port), sessEnt{bib: b, remote: a, rport: port, state: st, expire: exp})
	t.addBIBSessions(b, 1)
	if t.bibHead != nil {
		t.sessNext[v] = t.bibHead[b-1]
		t.bibHead[b-1] = v + 1
	}
	if sv != 0 {
		t.subs[sv-1].nsess++
	}
	t.noteDue(exp)
	t.sessN++
	t.C.SessionsCreated++
}

// delSession removes the session of slot i, and its BIB entry when it was
// the last. Another session may move into slot i (backward shifting):
// callers that walk the slots look at slot i again.
func (t *Table) delSession(i uint32, now int64) {
	b := t.sess[i].bib
	e := &t.bib[b-1]
	if t.bibHead != nil {
		for pp := &t.bibHead[b-1]; *pp != 0; pp = &t.sessNext[*pp-1] {
			if *pp == i+1 {
				*pp = t.sessNext[i]
				break
			}
		}
		t.sessNext[i] = 0
	}
	if sv := t.subOf(e); sv != 0 {
		t.subs[sv-1].nsess--
	}
	t.removeSess(uint64(i))
	t.sessN--
	if t.addBIBSessions(b, -1) == 0 && !e.static {
		t.delBIB(b, now)
	}
}

// touch updates session i for a packet: the TCP state machine of RFC 6146
// section 3.5.2.2 and the lifetime: one store; a shorter lifetime also
// lowers the sweep's earliest expiry.
func (t *Table) touch(i uint32, nowms uint32, f TCPFlags, from6 bool) {
	s := &t.sess[i]
	st := s.state
	switch st {
	case stUDP, stICMP:
	case stV4Init:
		if from6 && f&SYN != 0 {
			st = stEst // simultaneous open or the answer to the IPv4 SYN
		}
	case stV6Init:
		if !from6 && f&SYN != 0 {
			st = stEst
		}
	case stEst:
		switch {
		case f&RST != 0:
			st = stTrans
		case f&FIN != 0 && from6:
			st = stV6Fin
		case f&FIN != 0:
			st = stV4Fin
		}
	case stV4Fin:
		if from6 && f&FIN != 0 {
			st = stV4V6Fin
		}
	case stV6Fin:
		if !from6 && f&FIN != 0 {
			st = stV4V6Fin
		}
	case stV4V6Fin:
		return // no refresh: the session ends after tcp_transitory
	case stTrans:
		if f&RST == 0 {
			st = stEst
		}
	}
	if st == stTrans && s.state == stTrans {
		return // RST in TRANS: no refresh
	}
	exp := nowms + t.timeout(st)
	if st != s.state {
		s.state = st
		if int32(exp-s.expire) < 0 {
			s.expire = exp
			t.noteDue(exp)
			return
		}
	}
	if int32(exp-s.expire) > 0 {
		s.expire = exp
	}
}
