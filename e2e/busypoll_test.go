package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestTwoArmedNAPIBusyPoll: the two-armed box with [datapath]
// napi_busy_poll = 64 (preferred busy polling). Pings and TCP streams get
// through both ways, the workers make their busy polls (busy_polls), and
// the daemon says what the kernel made of it: on veth (copy mode) since
// Linux 6.13 the sockets get no NAPI id, the workers stop busy-polling
// them with a warning and info.napi_busy_poll turns false. The box's veths
// have no napi_defer_hard_irqs / gro_flush_timeout: the start warns.
func TestTwoArmedNAPIBusyPoll(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	d := tb.start(t, tb.config()+"\n[datapath]\nnapi_busy_poll = 64\n")
	h6, h4 := tb.e("NS6"), tb.e("NS4")
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 10*time.Second)
	if out, err := tb.ping(h4, tb.e("H6_AS4"), 3); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	tcpEcho(t, h4, 7701, nil)
	tcpEcho(t, h6, 7702, nil)
	if err := tcpExchangeErr(h6, tb.e("H4_AS6"), 7701, 100000); err != nil {
		t.Error(err)
	}
	if err := tcpExchangeErr(h4, tb.e("H6_AS4"), 7702, 100000); err != nil {
		t.Error(err)
	}
	time.Sleep(300 * time.Millisecond) // an idle worker publishes its counters after its sleep
	log := d.log.String()
	if !strings.Contains(log, "napi_defer_hard_irqs") {
		t.Errorf("no warning about the devices' NAPI settings:\n%s", log)
	}
	if n := d.counter("datapath.busy_polls"); n == 0 {
		t.Error("datapath.busy_polls = 0")
	}
	if e := d.counter("datapath.busy_poll_errors"); e != 0 {
		t.Errorf("datapath.busy_poll_errors = %v", e)
	}
	on := d.info("napi_busy_poll")
	noNAPI := strings.Contains(log, "gives it no NAPI id")
	t.Logf("info.napi_busy_poll = %v, busy_polls %v, no-NAPI warning %v", on, d.counter("datapath.busy_polls"), noNAPI)
	if on != !noNAPI {
		t.Errorf("info.napi_busy_poll = %v but no-NAPI warning %v:\n%s", on, noNAPI, log)
	}
}
