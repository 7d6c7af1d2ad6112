package port

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xlatd/xlatd/bench/gen"
)

// pairNS makes two namespaces joined by a veth pair (a in the first, b in
// the second) and removes them when the test ends.
func pairNS(t *testing.T) (nsA, nsB string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, AF_XDP)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("iproute2 not installed")
	}
	id := fmt.Sprintf("xbs%d%s", os.Getpid()%100000, strings.ToLower(t.Name()[len(t.Name())-3:]))
	nsA, nsB = id+"a", id+"b"
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", nsA).Run()
		exec.Command("ip", "netns", "del", nsB).Run()
	})
	run("netns", "add", nsA)
	run("netns", "add", nsB)
	run("-n", nsA, "link", "add", "name", "xga", "type", "veth", "peer", "name", "xsb", "netns", nsB)
	run("-n", nsA, "link", "set", "xga", "address", "02:00:00:00:aa:01", "up")
	run("-n", nsB, "link", "set", "xsb", "address", "02:00:00:00:bb:01", "up")
	run("-n", nsA, "link", "set", "lo", "up")
	run("-n", nsB, "link", "set", "lo", "up")
	return nsA, nsB
}

func smokeFlow() gen.Flow {
	return gen.Flow{
		SrcMAC: [6]byte{2, 0, 0, 0, 0xaa, 1}, DstMAC: [6]byte{2, 0, 0, 0, 0xbb, 1},
		Src: netip.MustParseAddr("2001:db8:1::2"), Dst: netip.MustParseAddr("2001:db8:2::2"),
		SrcPort: 1024, DstPort: 9,
	}
}

// smoke sends count frames from nsA to nsB, AF_XDP generator into the
// given sink, and checks that (nearly) all arrive with sane latency.
func smoke(t *testing.T, xdpSink, packetGen bool) {
	nsA, nsB := pairNS(t)
	const count = 5000
	tmpl, err := gen.NewTemplate(smokeFlow(), gen.WireLen(84))
	if err != nil {
		t.Fatal(err)
	}
	var sink gen.Sink
	sink.Reset(count)
	var stop atomic.Bool
	ready := make(chan error, 1)
	sinkDone := Go(nsB, -1, func() error {
		var rx gen.RxPort
		if xdpSink {
			x, err := NewXSK("xsb", XSKOptions{Frames: 8192, FrameSize: 2048, Ring: 4096}, true)
			if err != nil {
				ready <- err
				return err
			}
			defer x.Close()
			rx = x.Rx
		} else {
			r, err := NewPacketRx("xsb", 64)
			if err != nil {
				ready <- err
				return err
			}
			defer r.Close()
			rx = r
		}
		ready <- nil
		return sink.Run(rx, 64, &stop)
	})
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	var res gen.GenResult
	genErr := <-Go(nsA, -1, func() error {
		var tx interface {
			gen.TxPort
			SetTemplate([]byte) error
		}
		if packetGen {
			p, err := NewPacketTx("xga", make([]byte, 60), 32)
			if err != nil {
				return err
			}
			defer p.Close()
			tx = p
		} else {
			x, err := NewXSK("xga", XSKOptions{Frames: 4096, FrameSize: 2048}, false)
			if err != nil {
				return err
			}
			defer x.Close()
			tx = x.Tx
		}
		if err := tx.SetTemplate(tmpl.Frame); err != nil {
			return err
		}
		// 100 kpps is gentle enough for the AF_PACKET sink on a busy CI box.
		res, err = gen.Generate(tx, tmpl, gen.GenConfig{Rate: 100e3, Count: count, Duration: 5 * time.Second, Batch: 32}, nil)
		return err
	})
	if genErr != nil {
		stop.Store(true)
		<-sinkDone
		t.Fatal(genErr)
	}
	time.Sleep(300 * time.Millisecond) // drain; the sink is read only after it stopped
	stop.Store(true)
	if err := <-sinkDone; err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d in %v (%.0f pps), received %d, reordered %d, dup %d, foreign %d, latency min/median/p99.9 %d/%d/%d ns",
		res.Sent, time.Duration(res.End-res.Start), res.Rate(), sink.Seq.Unique, sink.Seq.Reordered, sink.Seq.Dup, sink.Foreign,
		sink.Latency.Min, sink.Latency.Quantile(0.5), sink.Latency.Quantile(0.999))
	if res.Sent != count {
		t.Fatalf("generator sent %d of %d (stalls %d, last error %v)", res.Sent, count, res.Stalls, res.LastError)
	}
	if sink.Seq.Unique < count*95/100 { // a sink descheduled for ms on a loaded box may drop a little
		t.Fatalf("sink got %d of %d", sink.Seq.Unique, count)
	}
	if sink.Seq.Dup != 0 || sink.Latency.Min <= 0 || sink.Latency.Quantile(0.5) > int64(time.Second) {
		t.Fatalf("dup %d, latency min %d median %d", sink.Seq.Dup, sink.Latency.Min, sink.Latency.Quantile(0.5))
	}
}

func TestSmokeXSKToXSK(t *testing.T)       { smoke(t, true, false) }
func TestSmokeXSKToPacket(t *testing.T)    { smoke(t, false, false) }
func TestSmokePacketToPacket(t *testing.T) { smoke(t, false, true) }
