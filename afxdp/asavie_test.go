package afxdp

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	asavie "github.com/asavie/xdp"
)

// TestCrossCheckAsavie uses github.com/asavie/xdp as an independent AF_XDP
// implementation on the peer's side of the veth (never on an interface of
// xlatd's datapath: its Attach removes whatever XDP program is there): our
// TX is received by its socket, its TX is received by ours through our
// program's redirect.
func TestCrossCheckAsavie(t *testing.T) {
	requireRoot(t)
	bx := newBox(t, ModeAuto, DefaultSocketOptions())
	v := bx.v
	var ref *asavie.Socket
	inNS(t, v.nsB, func() {
		prog, err := asavie.NewProgram(1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { prog.Close() })
		// The peer end only, in a namespace this test owns.
		if err := prog.Attach(v.idxB); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { inNS(t, v.nsB, func() { prog.Detach(v.idxB) }) })
		ref, err = asavie.NewSocket(v.idxB, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ref.Close() })
		if err := prog.Register(0, ref.FD()); err != nil {
			t.Fatal(err)
		}
	})
	ref.Fill(ref.GetDescs(ref.NumFreeFillSlots()))

	// Ours → reference.
	const n = 16
	descs := make([]Desc, n)
	var sent [][]byte
	for i := range descs {
		f := udp6Frame(v.macB, v.macA, "2001:db8:1::1", "2001:db8:1::2", 5, 6, []byte(fmt.Sprintf("xlatd-to-asavie-%02d", i)))
		addr := uint64((400+i)*bx.u.FrameSize()) + Headroom
		copy(bx.u.Frame(addr)[Headroom:], f)
		descs[i] = Desc{Addr: addr, Len: uint32(len(f))}
		sent = append(sent, f)
	}
	if k := bx.s.Transmit(descs); k != n {
		t.Fatalf("Transmit %d", k)
	}
	if err := bx.s.Kick(); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for end := time.Now().Add(3 * time.Second); len(got) < n && time.Now().Before(end); {
		k, _, err := ref.Poll(100)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			continue
		}
		rx := ref.Receive(k)
		for _, d := range rx {
			f := ref.GetFrame(d)
			for _, s := range sent {
				if bytes.Equal(f, s) {
					got[string(f)] = true
				}
			}
		}
		ref.Fill(rx)
	}
	if len(got) != n {
		t.Fatalf("reference socket got %d of %d frames", len(got), n)
	}

	// Reference → ours (captured by our program).
	if err := bx.p.Update(ProgramOptions{Pool6: []netip.Prefix{pool6}}); err != nil {
		t.Fatal(err)
	}
	out := ref.GetDescs(n)
	var sent2 [][]byte
	for i := range out {
		f := udp6Frame(v.macA, v.macB, "2001:db8:1::2", "2001:db8:46::c000:2a1", 5, 6, []byte(fmt.Sprintf("asavie-to-xlatd-%02d", i)))
		out[i].Len = uint32(copy(ref.GetFrame(out[i]), f))
		sent2 = append(sent2, f)
	}
	if k := ref.Transmit(out); k != len(out) {
		t.Fatalf("reference Transmit %d of %d", k, len(out))
	}
	rx := receiveN(bx.s, len(out), 3*time.Second)
	if len(rx) != len(out) {
		t.Fatalf("our socket got %d of %d frames from the reference", len(rx), len(out))
	}
	for i, d := range rx {
		f := bx.u.Frame(d.Addr)[d.Addr-bx.u.Chunk(d.Addr):][:d.Len]
		if !bytes.Equal(f, sent2[i]) {
			t.Errorf("frame %d differs:\n got %x\nwant %x", i, f, sent2[i])
		}
	}
}
