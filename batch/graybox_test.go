package batch_test

// TestGraybox replays the SIIT exchanges of Jool's graybox test suite
// (INDEX.md section 5 of the corpus, 124 rows, in order) in-process through
// batch.Translate, plus the usable-but-unused pktgen TCP 4->6 data of
// section 4. Every input packet is wrapped in an Ethernet header at
// batch.Headroom of a 4096-byte buffer; every output IP packet is compared
// with the expected file under Jool's own equality rules (INDEX.md section 2):
//
//   - lengths must be equal, and the bytes, except at exempt offsets;
//   - the zero-ID rule: where the expected IPv4 Identification (outer, or of
//     the IPv4 packet inside a translated 6->4 ICMPv4 error) is 0, the actual
//     one is not compared, and the actual IPv4 header checksum must instead
//     be valid;
//   - in 6->4 ICMP-error rows whose inner ID is translator-chosen, the
//     ICMPv4 checksum (which covers that ID) is verified by recomputation;
//   - IPv4 TOS (offset 1) is exempt only in the rows whose Jool script
//     excepts it (errors Jool's kernel originates with TOS 0xc0).
//
// Run a direction with -run TestGraybox/in4 or -run TestGraybox/in6.
// XLATD_GRAYBOX_STATUS=<file> writes a one-line-per-row status summary.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/graybox"
)

// rowVerdict returns the verdict a row expects for every output frame.
func rowVerdict(r *graybox.Row) batch.Verdict {
	if r.Router4 != "" {
		return batch.To6 // the IPv4 network's answer, translated back
	}
	switch r.Dir {
	case "64":
		return batch.To4
	case "46":
		return batch.To6
	case "66":
		if r.Hairpin {
			return batch.To6
		}
		return batch.Back
	}
	return batch.Back // "44"
}

// subtestName is in4/<row> or in6/<row> by the input's IP version.
func subtestName(r *graybox.Row, in []byte) string {
	if len(in) > 0 && in[0]>>4 == 6 {
		return "in6/" + r.Name
	}
	return "in4/" + r.Name
}

func TestGraybox(t *testing.T) {
	dir := grayboxDir(t)
	var status grayStatus
	for i := range graybox.Rows {
		r := &graybox.Rows[i]
		in := readPkt(t, dir, r.In)
		var want [][]byte
		for _, w := range r.Want {
			want = append(want, readPkt(t, dir, w))
		}
		t.Run(subtestName(r, in), func(t *testing.T) {
			var msg string
			defer func() { status.add(r, in, msg, t.Skipped()) }()
			msg = runGrayRow(t, r, in, want)
		})
	}
	if p := os.Getenv("XLATD_GRAYBOX_STATUS"); p != "" {
		if err := status.write(p); err != nil {
			t.Errorf("writing status: %v", err)
		}
	}
}

func readPkt(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("corpus file: %v", err)
	}
	return b
}

// runGrayRow translates in and compares the outputs with want. It reports
// failures through t and returns a one-line summary ("" on success).
func runGrayRow(t *testing.T, r *graybox.Row, in []byte, want [][]byte) (summary string) {
	defer func() {
		if p := recover(); p != nil {
			summary = fmt.Sprintf("PANIC %v", p)
			t.Errorf("Translate panicked: %v\ninput:\n%s", p, describe(in))
		}
	}()
	cfg := grayConfig(t, r.Env)
	tr := newTranslator(cfg)
	buf, n := newFrame(in)
	var v batch.Vector
	v.Add(buf, batch.Headroom, n, sideOf(in))
	tr.Translate(&v, 1e9, &heapAlloc{})

	out := outputs(&v)
	for i := 0; i < v.N; i++ {
		if f := &v.Frames[i]; f.Verdict == batch.Drop && f.Reason == batch.ReasonNone {
			t.Errorf("frame dropped without a reason")
		}
	}
	dev, isDev := graybox.Deviations[r.Name]
	if len(out) != len(want) {
		f := &v.Frames[0]
		s := fmt.Sprintf("want %d output frame(s), got %d (first frame: verdict %v, reason %v, extra %d)",
			len(want), len(out), f.Verdict, f.Reason, v.NExtra)
		if isDev {
			t.Skipf("deviation (%s): %s", dev, s)
		}
		t.Errorf("%s\ninput:\n%s", s, indent(describe(in)))
		for i, w := range want {
			t.Logf("expected %d (%s):\n%s", i+1, r.Want[i], indent(describe(w)))
		}
		for i, f := range out {
			if f.Len > header.EthernetLen {
				t.Logf("got %d (verdict %v):\n%s", i+1, f.Verdict, indent(describe(f.Bytes()[header.EthernetLen:])))
			}
		}
		return s
	}
	var first string
	for i, f := range out {
		problems := checkGrayOutput(r, f, want[i])
		if len(problems) == 0 {
			continue
		}
		got := []byte(nil)
		if f.Len > header.EthernetLen && f.Off+f.Len <= len(f.Buf) {
			got = f.Bytes()[header.EthernetLen:]
		}
		if first == "" {
			first = fmt.Sprintf("output %d: %s", i+1, problems[0])
		}
		if isDev {
			continue
		}
		t.Errorf("output %d of %d (%s), verdict %v: %d problem(s)\n  %s\nwant:\n%sgot:\n%sinput:\n%s",
			i+1, len(out), r.Want[i], f.Verdict, len(problems), strings.Join(problems, "\n  "),
			indent(describe(want[i])), indent(describe(got)), indent(describe(in)))
	}
	if isDev {
		if first == "" {
			t.Logf("row is listed in deviations but matches Jool")
		}
		t.Skipf("deviation: %s (%s)", dev, first)
	}
	return first
}

// checkGrayOutput compares one output frame with an expected packet and
// returns the problems found.
func checkGrayOutput(r *graybox.Row, f *batch.Frame, want []byte) []string {
	var p []string
	if s := checkFrame(f); s != "" {
		p = append(p, "invalid frame: "+s)
		if f.Off < 0 || f.Off+f.Len > len(f.Buf) || f.Len <= header.EthernetLen {
			return p
		}
	}
	if f.Verdict != rowVerdict(r) {
		p = append(p, fmt.Sprintf("verdict %v, want %v", f.Verdict, rowVerdict(r)))
	}
	b := f.Bytes()
	if et := binary.BigEndian.Uint16(b[header.EthType:]); et != etherTypeOf(want) {
		p = append(p, fmt.Sprintf("EtherType %#04x, want %#04x", et, etherTypeOf(want)))
	}
	if f.Verdict == batch.Back {
		if !bytes.Equal(b[header.EthDst:header.EthDst+6], macPeer[:]) || !bytes.Equal(b[header.EthSrc:header.EthSrc+6], macXlat[:]) {
			p = append(p, fmt.Sprintf("verdict Back but MACs not swapped: dst %x src %x", b[0:6], b[6:12]))
		}
	}
	return append(p, graybox.Compare(r, want, b[header.EthernetLen:])...)
}

func indent(s string) string {
	if s == "" {
		return "    (nothing)\n"
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

// grayStatus collects one line per row for XLATD_GRAYBOX_STATUS.
type grayStatus struct {
	mu    sync.Mutex
	lines []string
	pass  map[string]int
	fail  map[string]int
	dev   map[string]int
}

func (s *grayStatus) add(r *graybox.Row, in []byte, msg string, skipped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pass == nil {
		s.pass, s.fail, s.dev = map[string]int{}, map[string]int{}, map[string]int{}
	}
	d := subtestName(r, in)[:3]
	if skipped {
		s.dev[d]++
		s.lines = append(s.lines, fmt.Sprintf("DEVIATION %s %s: %s", subtestName(r, in), r.Dir, graybox.Deviations[r.Name]))
		return
	}
	if msg == "" {
		s.pass[d]++
		s.lines = append(s.lines, fmt.Sprintf("PASS %s %s", subtestName(r, in), r.Dir))
		return
	}
	s.fail[d]++
	s.lines = append(s.lines, fmt.Sprintf("FAIL %s %s: %s", subtestName(r, in), r.Dir, msg))
}

func (s *grayStatus) write(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	keys := []string{"in4", "in6"}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %d pass, %d fail, %d listed deviations\n", k, s.pass[k], s.fail[k], s.dev[k])
	}
	for _, l := range s.lines {
		b.WriteString(l + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// TestGrayboxVector replays the rows again, this time many to a vector:
// rows sharing a configuration go through Translate together (up to 64 at
// a time, in INDEX.md order), so that frames cannot influence each other
// and the extra frames of fragmented packets come out in order, after the
// first fragment of each, as batch.Vector documents.
func TestGrayboxVector(t *testing.T) {
	dir := grayboxDir(t)
	type group struct {
		env  graybox.Env
		rows []*graybox.Row
	}
	var groups []*group
	for i := range graybox.Rows {
		r := &graybox.Rows[i]
		if _, dev := graybox.Deviations[r.Name]; dev {
			continue
		}
		var g *group
		for _, x := range groups {
			if x.env == r.Env && len(x.rows) < batch.Size {
				g = x
			}
		}
		if g == nil {
			g = &group{env: r.Env}
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}
	for gi, g := range groups {
		t.Run(fmt.Sprintf("group%d-%drows", gi, len(g.rows)), func(t *testing.T) {
			var v batch.Vector
			ins := make([][]byte, len(g.rows))
			for i, r := range g.rows {
				ins[i] = readPkt(t, dir, r.In)
				buf, n := newFrame(ins[i])
				v.Add(buf, batch.Headroom, n, sideOf(ins[i]))
			}
			newTranslator(grayConfig(t, g.env)).Translate(&v, 1e9, &heapAlloc{})
			next := 0 // next unclaimed Extra frame
			for i, r := range g.rows {
				var out []*batch.Frame
				if f := &v.Frames[i]; f.Verdict != batch.Drop && f.Verdict != batch.Pass {
					out = append(out, f)
				}
				for len(out) < len(r.Want) && len(out) > 0 && next < v.NExtra {
					out = append(out, &v.Extra[next])
					next++
				}
				if len(out) != len(r.Want) {
					t.Errorf("%s: %d output frame(s), want %d (verdict %v, reason %v)", r.Name, len(out),
						len(r.Want), v.Frames[i].Verdict, v.Frames[i].Reason)
					continue
				}
				for k, f := range out {
					want := readPkt(t, dir, r.Want[k])
					if p := checkGrayOutput(r, f, want); len(p) != 0 {
						t.Errorf("%s: output %d (%s) in a vector of %d: %s", r.Name, k+1, r.Want[k], v.N,
							strings.Join(p, "; "))
					}
				}
			}
			if next != v.NExtra {
				t.Errorf("%d extra frames, the rows account for %d", v.NExtra, next)
			}
		})
	}
}
