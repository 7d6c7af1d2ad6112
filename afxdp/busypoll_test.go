package afxdp

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestBusyPollOptionsValidation(t *testing.T) {
	for _, b := range []int{-1, 65536} {
		o := DefaultSocketOptions()
		o.BusyPollBudget = b
		if err := o.normalize(); err == nil {
			t.Errorf("budget %d accepted", b)
		}
	}
	o := DefaultSocketOptions()
	o.BusyPollBudget = 64
	if err := o.normalize(); err != nil || o.BusyPollUsec != DefaultBusyPollUsec {
		t.Errorf("budget 64: err %v, usec %d", err, o.BusyPollUsec)
	}
}

// busyOpts reads back the options of preferred busy polling. Linux 6.18
// does not answer getsockopt for SO_BUSY_POLL_BUDGET (ENOPROTOOPT):
// budget is -1 then.
func busyOpts(t *testing.T, s *Socket) (prefer, usec, budget int) {
	t.Helper()
	get := func(opt int) int {
		v, err := unix.GetsockoptInt(s.FD(), unix.SOL_SOCKET, opt)
		if opt == soBusyPollBudget && errors.Is(err, unix.ENOPROTOOPT) {
			return -1
		}
		if err != nil {
			t.Fatalf("getsockopt %d: %v", opt, err)
		}
		return v
	}
	return get(soPreferBusyPoll), get(unix.SO_BUSY_POLL), get(soBusyPollBudget)
}

// TestBusyPollVeth: with BusyPollBudget the socket carries the options
// (getsockopt), and frames flow on veth (copy mode) with the receiver only
// busy polling (BusyPoll, then Receive; never poll(2)), the device set up
// as napi.rst asks (napi_defer_hard_irqs, gro_flush_timeout). A kernel
// that refuses the options leaves a working socket without them.
func TestBusyPollVeth(t *testing.T) {
	requireRoot(t)
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refused=%v", refuse), func(t *testing.T) {
			refuseBusyPoll = refuse
			defer func() { refuseBusyPoll = false }()
			o := DefaultSocketOptions()
			o.BusyPollBudget = 64
			bx := newBox(t, ModeNative, o)
			v := bx.v
			prefer, usec, budget := busyOpts(t, bx.s)
			if refuse {
				if bx.s.BusyPolling() || !errors.Is(bx.s.BusyPollErr(), unix.ENOPROTOOPT) {
					t.Fatalf("refused: BusyPolling %v, err %v", bx.s.BusyPolling(), bx.s.BusyPollErr())
				}
				if prefer != 0 || usec != 0 {
					t.Errorf("refused: options left set: prefer %d usec %d", prefer, usec)
				}
			} else {
				if !bx.s.BusyPolling() || bx.s.BusyPollErr() != nil {
					t.Fatalf("BusyPolling %v, err %v", bx.s.BusyPolling(), bx.s.BusyPollErr())
				}
				if prefer != 1 || usec != DefaultBusyPollUsec || (budget != 64 && budget != -1) {
					t.Fatalf("SO_PREFER_BUSY_POLL %d, SO_BUSY_POLL %d, SO_BUSY_POLL_BUDGET %d; want 1, %d, 64", prefer, usec, budget, DefaultBusyPollUsec)
				}
			}
			if out, err := exec.Command("ip", "netns", "exec", v.nsA, "sh", "-c",
				"echo 2 > /sys/class/net/"+v.ifA+"/napi_defer_hard_irqs && echo 200000 > /sys/class/net/"+v.ifA+"/gro_flush_timeout").CombinedOutput(); err != nil {
				t.Fatalf("NAPI settings: %v: %s", err, out)
			}
			frame := func(i int) []byte {
				return udp6Frame(v.macA, v.macB, "2001:db8:1::2", "2001:db8:46::c633:6407", 1000, 2000, []byte(fmt.Sprintf("xlatd-busy-%d", i)))
			}
			// The first frame tells the socket its NAPI.
			sendFrame(t, bx.peer, v.idxB, frame(0))
			if got := receiveN(bx.s, 1, 3*time.Second); len(got) != 1 {
				t.Fatalf("first frame: received %d", len(got))
			}
			id, err := bx.s.NAPIID()
			if err != nil {
				t.Fatal(err)
			}
			// Since Linux 6.13 (commit "xsk: Bring back busy polling
			// support") only a zero-copy socket learns its NAPI id, at
			// bind; a copy-mode socket (veth) never does, and its busy
			// polls do nothing: the frames below then arrive through the
			// softirq, which the test accepts (it checks that they flow).
			t.Logf("NAPI id %d (0: the kernel cannot busy-poll this socket)", id)
			fillAll(t, bx.s, 256, 128)
			const n = 100
			var sent [][]byte
			for i := 1; i <= n; i++ {
				f := frame(i)
				sent = append(sent, f)
				sendFrame(t, bx.peer, v.idxB, f)
			}
			var got []Desc
			buf := make([]Desc, 64)
			polls := 0
			for end := time.Now().Add(3 * time.Second); len(got) < n && time.Now().Before(end); {
				if err := bx.s.BusyPoll(); err != nil {
					t.Fatalf("BusyPoll: %v", err)
				}
				polls++
				got = append(got, buf[:bx.s.Receive(buf)]...)
			}
			t.Logf("%d frames in %d busy polls", len(got), polls)
			if len(got) != n {
				t.Fatalf("received %d of %d frames", len(got), n)
			}
			for i, d := range got {
				if data := bx.u.Frame(d.Addr)[d.Addr-bx.u.Chunk(d.Addr):][:d.Len]; !bytes.Equal(data, sent[i]) {
					t.Errorf("frame %d:\n got %x\nwant %x", i, data, sent[i])
				}
			}
		})
	}
}
