package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xlatd/xlatd/nat64/natlog"
	"github.com/xlatd/xlatd/natlog/ipfix"
)

var detExample = filepath.Join("..", "..", "examples", "xlatd-nat64-deterministic.toml")

func TestNAT64LookupDeterministic(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"2001:db8:2000::1"}, 0, "2001:db8:2000::/56 203.0.113.64 1024-5055\n"},
		{[]string{"2001:db8:2000:100::7"}, 0, "2001:db8:2000:100::/56 203.0.113.64 5056-9087\n"},
		{[]string{"203.0.113.64:5056"}, 0, "2001:db8:2000:100::/56 203.0.113.64 5056-9087\n"},
		{[]string{"-json", "203.0.113.65:1024"}, 0, `{"subscriber":"2001:db8:2000:1000::/56","ipv4":"203.0.113.65","ports":"1024-5055","protocol":""}` + "\n"},
		{[]string{"203.0.113.65:1024", "-json"}, 0, `{"subscriber":"2001:db8:2000:1000::/56","ipv4":"203.0.113.65","ports":"1024-5055","protocol":""}` + "\n"},
		{[]string{"2001:db8:3000::1"}, 1, ""},  // not a subscriber
		{[]string{"203.0.113.64:80"}, 1, ""},   // outside nat64.ports
		{[]string{"198.51.100.1:1024"}, 1, ""}, // outside pool4
		{[]string{"nonsense"}, 2, ""},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"nat64", "lookup", "-config", detExample}, tc.args...)
		code := run(args, &stdout, &stderr)
		if code != tc.code || stdout.String() != tc.out {
			t.Errorf("xlatd %s: exit %d, want %d\nstdout %q, want %q\nstderr %s", strings.Join(args, " "), code, tc.code, stdout.String(), tc.out, stderr.String())
		}
	}
}

func TestNAT64CommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"nat64"},
		{"nat64", "frobnicate"},
		{"nat64", "lookup", "2001:db8::1"},         // no -config
		{"nat64", "lookup", "-config", detExample}, // no argument
		{"nat64", "lookup", "-config", detExample, "-at", "x", "2001:db8::1"}, // -at without -log
		{"nat64", "bib", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("xlatd %v: exit %d, want 2\n%s", args, code, stderr.String())
		}
	}
	// No daemon behind the socket: exit 1 with the reason.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"nat64", "sessions", "-socket", filepath.Join(t.TempDir(), "none.sock")}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "cannot reach the daemon") {
		t.Errorf("sessions without a daemon: exit %d\n%s", code, stderr.String())
	}
}

func TestNAT64LookupLog(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	sub := mustPrefix("2001:db8:1::/56")
	var log []byte
	ev := func(d time.Duration, k natlog.Kind, lo, hi uint16, format string) {
		log = natlog.Append(log, natlog.Event{Time: t0.Add(d), Kind: k, Subscriber: sub, Pool4: mustAddr("192.0.2.1"), PortLo: lo, PortHi: hi}, format)
	}
	ev(0, natlog.BlockAlloc, 1024, 1151, "json")
	ev(time.Minute, natlog.BlockAlloc, 1152, 1279, "text")
	ev(2*time.Minute, natlog.BlockRelease, 1024, 1151, "json")
	log = append(log, "garbage line\n"...)
	ev(3*time.Minute, natlog.QuotaExceeded, 0, 0, "json")
	for _, tc := range []struct {
		at   time.Duration
		arg  string
		want []string
	}{
		{-time.Second, "192.0.2.1:1030", nil},
		{30 * time.Second, "192.0.2.1:1030", []string{"1024-1151"}},
		{90 * time.Second, "2001:db8:1:ff::1", []string{"1024-1151", "1152-1279"}},
		{150 * time.Second, "2001:db8:1::1", []string{"1152-1279"}},
		{150 * time.Second, "192.0.2.1:1030", nil},
		{150 * time.Second, "192.0.2.2:1200", nil},
	} {
		got, err := lookupLog(bytes.NewReader(log), t0.Add(tc.at), tc.arg)
		if err != nil {
			t.Fatal(err)
		}
		var ports []string
		for _, a := range got {
			if a.Subscriber != sub.String() || a.IPv4 != "192.0.2.1" {
				t.Errorf("answer %+v", a)
			}
			ports = append(ports, a.Ports)
		}
		if strings.Join(ports, ",") != strings.Join(tc.want, ",") {
			t.Errorf("at +%v %s: %v, want %v", tc.at, tc.arg, ports, tc.want)
		}
	}
	if _, err := parseTime("2026-11-27T10:00:00Z"); err != nil {
		t.Error(err)
	}
	if _, err := parseTime("1800000000"); err != nil {
		t.Error(err)
	}
	if _, err := parseTime("yesterday"); err == nil {
		t.Error("parseTime accepted yesterday")
	}
}

func TestNAT64ListFormat(t *testing.T) {
	r := &NAT64Reply{Count: 1, BIB: []BIBJSON{{"udp", "2001:db8::5", 2000, "192.0.2.2", 2000, true}}}
	var b bytes.Buffer
	printList(&b, "bib", r, false)
	if b.String() != "udp 2001:db8::5#2000 192.0.2.2#2000 static\n" {
		t.Errorf("bib text: %q", b.String())
	}
	b.Reset()
	printList(&b, "bib", r, true)
	if b.String() != `{"count":1,"bib":[{"protocol":"udp","ipv6":"2001:db8::5","port6":2000,"ipv4":"192.0.2.2","port4":2000,"static":true}]}`+"\n" {
		t.Errorf("bib json: %s", b.String())
	}
	s := &NAT64Reply{Count: 1, Sessions: []SessionJSON{{"tcp", "2001:db8::5", 40000, "192.0.2.2", 2001, "198.51.100.2", 80, "64:ff9b::c633:6402", "established", 7439000}}}
	b.Reset()
	printList(&b, "sessions", s, false)
	if b.String() != "tcp 2001:db8::5#40000 192.0.2.2#2001 198.51.100.2#80 64:ff9b::c633:6402 established 2h3m59s\n" {
		t.Errorf("sessions text: %q", b.String())
	}
	b.Reset()
	printList(&b, "sessions", s, true)
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["count"] != 1.0 {
		t.Fatalf("sessions json: %v %s", err, b.String())
	}
	e := m["sessions"].([]any)[0].(map[string]any)
	for k, v := range map[string]any{"protocol": "tcp", "ipv6": "2001:db8::5", "port6": 40000.0, "ipv4": "192.0.2.2", "port4": 2001.0,
		"remote4": "198.51.100.2", "remote_port": 80.0, "remote6": "64:ff9b::c633:6402", "state": "established", "expires_in_ms": 7439000.0} {
		if e[k] != v {
			t.Errorf("sessions json %s = %v, want %v", k, e[k], v)
		}
	}
	b.Reset()
	printList(&b, "sessions", &NAT64Reply{}, true)
	if b.String() != `{"count":0,"sessions":[]}`+"\n" {
		t.Errorf("empty sessions json: %s", b.String())
	}
}

func TestIPFIXEvent(t *testing.T) {
	for k, want := range map[natlog.Kind]ipfix.Kind{natlog.BlockAlloc: ipfix.BlockAllocated, natlog.BlockRelease: ipfix.BlockReleased,
		natlog.QuotaExceeded: ipfix.QuotaExceeded, natlog.AddressExhausted: ipfix.AddressesExhausted} {
		e := ipfixEvent(natlog.Event{Kind: k, Pool4: mustAddr("192.0.2.1"), PortLo: 1024, PortHi: 1151})
		if e.Kind != want || e.PortFirst != 1024 || e.PortLast != 1151 || e.Pool4 != mustAddr("192.0.2.1") {
			t.Errorf("%v: %+v", k, e)
		}
		if k.IPFIX() == 0 || want.NatEvent() == 0 {
			t.Errorf("%v: no natEvent", k)
		}
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

func TestNAT64LookupStatic(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "x.toml")
	body := `[interfaces]
ipv6 = "eth0"
ipv4 = "eth1"
[translate]
mode = "nat64"
pool6 = "2001:db8:64::/96"
[nat64]
pool4 = ["192.0.2.0/28"]
deterministic = true
subscribers = ["2001:db8:1::/120"]
[[nat64.static]]
protocol = "tcp"
ipv6 = "2001:db8:6::102"
port6 = 80
ipv4 = "192.0.2.1"
port4 = 80
`
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for arg, want := range map[string]string{
		"192.0.2.1:80":    "2001:db8:6::102/128 192.0.2.1 80 tcp\n",
		"2001:db8:6::102": "2001:db8:6::102/128 192.0.2.1 80 tcp\n",
		"2001:db8:1::5":   "2001:db8:1::5/128 192.0.2.0 6144-7167\n",
	} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"nat64", "lookup", "-config", cfg, arg}, &stdout, &stderr); code != 0 || stdout.String() != want {
			t.Errorf("lookup %s: exit %d %q, want %q\n%s", arg, code, stdout.String(), want, stderr.String())
		}
	}
}

// fakeControl answers every request on a socket of its own with reply and
// records the request lines.
func fakeControl(t *testing.T, reply string) (sock string, reqs chan string) {
	t.Helper()
	sock = filepath.Join(t.TempDir(), "ctl.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	reqs = make(chan string, 16)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(conn).ReadString('\n')
			reqs <- strings.TrimSpace(line)
			io.WriteString(conn, reply+"\n")
			conn.Close()
		}
	}()
	return sock, reqs
}

func TestNAT64Flush(t *testing.T) {
	sock, reqs := fakeControl(t, `{"count":0,"flushed":{"sessions":1234,"bib":567,"elapsed_ms":1.25}}`)
	for _, tc := range []struct {
		args []string
		out  string
	}{
		{[]string{"-socket", sock}, "flushed 1234 sessions, 567 BIB entries in 1.250 ms\n"},
		{[]string{"-socket", sock, "-json"}, `{"sessions":1234,"bib":567,"elapsed_ms":1.25}` + "\n"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"nat64", "flush"}, tc.args...), &stdout, &stderr); code != 0 || stdout.String() != tc.out {
			t.Errorf("nat64 flush %v: exit %d, stdout %q, want %q\n%s", tc.args, code, stdout.String(), tc.out, stderr.String())
		}
		if r := <-reqs; r != "nat64 flush" {
			t.Errorf("request %q", r)
		}
	}
	// -config names the socket.
	cfg := filepath.Join(t.TempDir(), "x.toml")
	b, err := os.ReadFile(detExample)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, []byte("\n[control]\nsocket = \""+sock+"\"\n")...)
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"nat64", "flush", "-json", "-config", cfg}, &stdout, &stderr); code != 0 {
		t.Errorf("nat64 flush -config: exit %d\n%s", code, stderr.String())
	} else if r := <-reqs; r != "nat64 flush" {
		t.Errorf("request %q", r)
	}
	// The daemon's error, an old daemon, no daemon, bad flags.
	for _, tc := range []struct {
		reply, want string
	}{
		{`{"error":"not in NAT64 mode (translate.mode = \"siit\")","count":0}`, "not in NAT64 mode"},
		{`{"count":3}`, "does not know this request"},
	} {
		s, _ := fakeControl(t, tc.reply)
		var stdout, stderr bytes.Buffer
		if code := run([]string{"nat64", "flush", "-socket", s}, &stdout, &stderr); code != 1 || stdout.Len() > 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("reply %s: exit %d, stdout %q, stderr %q", tc.reply, code, stdout.String(), stderr.String())
		}
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"nat64", "flush", "-socket", filepath.Join(t.TempDir(), "none.sock")}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "cannot reach the daemon") {
		t.Errorf("flush without a daemon: exit %d\n%s", code, stderr.String())
	}
	for _, args := range [][]string{{"extra"}, {"-frobnicate"}} {
		if code := run(append([]string{"nat64", "flush"}, args...), &stdout, &stderr); code != 2 {
			t.Errorf("nat64 flush %v: exit %d, want 2", args, code)
		}
	}
}
