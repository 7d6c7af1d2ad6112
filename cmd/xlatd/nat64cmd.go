package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xlatd/xlatd/config"
	"github.com/xlatd/xlatd/nat64"
)

// xlatd nat64 bib|sessions|lookup|flush (docs/CONFIG.md, "NAT64 commands").

const nat64Usage = `usage:
  xlatd nat64 bib [-json] [-socket PATH | -config FILE]        BIB entries of the running daemon
  xlatd nat64 sessions [-json] [-socket PATH | -config FILE]   sessions of the running daemon
  xlatd nat64 flush [-json] [-socket PATH | -config FILE]      end every session and dynamic BIB entry
        of the running daemon (static entries stay); prints how many ended
  xlatd nat64 lookup -config FILE [-json] [-at TIME -log FILE] ADDR4:PORT | ADDR6
        which subscriber held ADDR4:PORT, or the pool4 address and ports of a
        subscriber: from the config alone when nat64.deterministic = true
        (static entries: always), from the running daemon otherwise, from the mapping log (JSON or text
        lines of log.mappings) for a past moment with -at; exit 1 when
        nothing matches
`

func nat64Cmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, nat64Usage)
		return 2
	}
	switch args[0] {
	case "bib", "sessions":
		return nat64ListCmd(args[0], args[1:], stdout, stderr)
	case "lookup":
		return nat64LookupCmd(args[1:], stdout, stderr)
	case "flush":
		return nat64FlushCmd(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, nat64Usage)
		return 0
	}
	fmt.Fprintf(stderr, "xlatd nat64: unknown command %q\n%s", args[0], nat64Usage)
	return 2
}

// socketOf returns the control socket: -socket, or the config's.
func socketOf(sock, cfgPath string) (string, error) {
	if cfgPath == "" {
		return sock, nil
	}
	c, err := config.Load(cfgPath)
	if err != nil {
		return "", fmt.Errorf("%s:\n%s", cfgPath, indent(err.Error()))
	}
	if c.Control.Socket == "" {
		return "", fmt.Errorf("%s turns the control socket off (control.socket = \"\")", cfgPath)
	}
	return c.Control.Socket, nil
}

// controlRequest sends one request line and decodes the JSON answer.
func controlRequest(sock, req string, v any, timeout time.Duration) error {
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return fmt.Errorf("cannot reach the daemon at %s: %w", sock, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, req+"\n"); err != nil {
		return err
	}
	if err := json.NewDecoder(conn).Decode(v); err != nil {
		return fmt.Errorf("bad reply: %w", err)
	}
	return nil
}

func nat64ListCmd(what string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xlatd nat64 "+what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print {\"count\": N, \""+what+"\": [...]}")
	sock := fs.String("socket", config.DefaultControlSocket, "control socket of the running daemon ([control] socket)")
	cfgPath := fs.String("config", "", "read the control socket's path from this config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "xlatd nat64 %s: unexpected argument %q\n", what, fs.Arg(0))
		return 2
	}
	s, err := socketOf(*sock, *cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "xlatd nat64 %s: %v\n", what, err)
		return 1
	}
	var r NAT64Reply
	if err := controlRequest(s, "nat64 "+what, &r, 2*time.Minute); err != nil {
		fmt.Fprintf(stderr, "xlatd nat64 %s: %v\n", what, err)
		return 1
	}
	if r.Error != "" {
		fmt.Fprintf(stderr, "xlatd nat64 %s: %s\n", what, r.Error)
		return 1
	}
	if r.Truncated {
		fmt.Fprintf(stderr, "xlatd nat64 %s: only the first %d entries\n", what, r.Count)
	}
	printList(stdout, what, &r, *asJSON)
	return 0
}

func nat64FlushCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xlatd nat64 flush", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print {\"sessions\": N, \"bib\": N, \"elapsed_ms\": F}")
	sock := fs.String("socket", config.DefaultControlSocket, "control socket of the running daemon ([control] socket)")
	cfgPath := fs.String("config", "", "read the control socket's path from this config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "xlatd nat64 flush: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	s, err := socketOf(*sock, *cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "xlatd nat64 flush: %v\n", err)
		return 1
	}
	var r NAT64Reply
	if err := controlRequest(s, "nat64 flush", &r, 2*time.Minute); err != nil {
		fmt.Fprintf(stderr, "xlatd nat64 flush: %v\n", err)
		return 1
	}
	if r.Error != "" || r.Flushed == nil {
		if r.Error == "" {
			r.Error = "the daemon does not know this request (an older xlatd?)"
		}
		fmt.Fprintf(stderr, "xlatd nat64 flush: %s\n", r.Error)
		return 1
	}
	f := r.Flushed
	if *asJSON {
		json.NewEncoder(stdout).Encode(f)
		return 0
	}
	fmt.Fprintf(stdout, "flushed %d sessions, %d BIB entries in %.3f ms\n", f.Sessions, f.BIB, f.ElapsedMS)
	return 0
}

// printList prints a bib or sessions answer, as the JSON shapes of
// docs/CONFIG.md or one line per entry.
func printList(w io.Writer, what string, r *NAT64Reply, asJSON bool) {
	if asJSON {
		e := json.NewEncoder(w)
		if what == "bib" {
			if r.BIB == nil {
				r.BIB = []BIBJSON{}
			}
			e.Encode(struct {
				Count int       `json:"count"`
				BIB   []BIBJSON `json:"bib"`
			}{r.Count, r.BIB})
			return
		}
		if r.Sessions == nil {
			r.Sessions = []SessionJSON{}
		}
		e.Encode(struct {
			Count    int           `json:"count"`
			Sessions []SessionJSON `json:"sessions"`
		}{r.Count, r.Sessions})
		return
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	for _, b := range r.BIB {
		fmt.Fprintf(bw, "%s %s#%d %s#%d", b.Protocol, b.IPv6, b.Port6, b.IPv4, b.Port4)
		if b.Static {
			bw.WriteString(" static")
		}
		bw.WriteByte('\n')
	}
	for _, s := range r.Sessions {
		fmt.Fprintf(bw, "%s %s#%d %s#%d %s#%d %s %s %s\n", s.Protocol, s.IPv6, s.Port6, s.IPv4, s.Port4,
			s.Remote4, s.RemotePort, s.Remote6, s.State, (time.Duration(s.ExpiresInMS) * time.Millisecond).String())
	}
}

func nat64LookupCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xlatd nat64 lookup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per answer line")
	cfgPath := fs.String("config", "", "the configuration (required)")
	at := fs.String("at", "", "answer for this past moment (RFC 3339, e.g. 2026-11-27T17:00:00Z) from -log")
	logPath := fs.String("log", "", "the mapping log (log.mappings) to answer -at from")
	sock := fs.String("socket", "", "control socket of the running daemon (default: the config's)")
	// Flags may follow the argument: `lookup ADDR -json`.
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *cfgPath == "" || len(rest) != 1 {
		fmt.Fprint(stderr, "xlatd nat64 lookup: -config FILE and one ADDR4:PORT or ADDR6 are required\n", nat64Usage)
		return 2
	}
	if (*at == "") != (*logPath == "") {
		fmt.Fprintln(stderr, "xlatd nat64 lookup: -at and -log go together")
		return 2
	}
	c, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "xlatd nat64 lookup: %s:\n%s\n", *cfgPath, indent(err.Error()))
		return 1
	}
	if c.Translate.Mode != "nat64" {
		fmt.Fprintf(stderr, "xlatd nat64 lookup: %s is not a NAT64 configuration (translate.mode = %q)\n", *cfgPath, c.Translate.Mode)
		return 1
	}
	var answers []LookupJSON
	switch {
	case *at != "":
		t, err := parseTime(*at)
		if err == nil {
			var f *os.File
			if f, err = os.Open(*logPath); err == nil {
				answers, err = lookupLog(f, t, rest[0])
				f.Close()
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "xlatd nat64 lookup: %v\n", err)
			return 1
		}
	case c.NAT64.Deterministic:
		p, err := nat64.NewPlan(&c.NAT64, nat64.Options{Workers: 1})
		if err == nil {
			answers, err = lookupPlan(p, rest[0])
		}
		if err != nil {
			fmt.Fprintf(stderr, "xlatd nat64 lookup: %v\n", err)
			return 2
		}
	default:
		if _, _, err := parseLookup(rest[0]); err != nil {
			fmt.Fprintf(stderr, "xlatd nat64 lookup: %v\n", err)
			return 2
		}
		s := *sock
		if s == "" {
			s = c.Control.Socket
		}
		var r NAT64Reply
		if err := controlRequest(s, "nat64 lookup "+rest[0], &r, time.Minute); err != nil {
			fmt.Fprintf(stderr, "xlatd nat64 lookup: %v\n", err)
			return 1
		}
		if r.Error != "" {
			fmt.Fprintf(stderr, "xlatd nat64 lookup: %s\n", r.Error)
			return 1
		}
		answers = r.Answers
	}
	if *at == "" {
		// Static entries are in the config: no daemon needed.
		st, _ := lookupStatic(c, rest[0])
		answers = append(answers, st...)
	}
	printAnswers(stdout, answers, *asJSON)
	if len(answers) == 0 {
		if !*asJSON {
			fmt.Fprintf(stderr, "xlatd nat64 lookup: nothing matches %s\n", rest[0])
		}
		return 1
	}
	return 0
}

func printAnswers(w io.Writer, answers []LookupJSON, asJSON bool) {
	e := json.NewEncoder(w)
	for _, a := range answers {
		if asJSON {
			e.Encode(a)
			continue
		}
		line := a.Subscriber + " " + a.IPv4 + " " + a.Ports
		if a.Protocol != "" {
			line += " " + a.Protocol
		}
		fmt.Fprintln(w, line)
	}
}

// parseTime accepts RFC 3339 (with or without fractions) and Unix seconds.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("-at %q: not an RFC 3339 time (2026-11-27T17:00:00Z) or Unix seconds", s)
}

// logBlock is one port block as the mapping log tells it.
type logBlock struct {
	sub    netip.Prefix
	pool4  netip.Addr
	lo, hi uint16
}

// parseLogLine reads one line of the mapping log, JSON or text
// (natlog.Append); ok is false for lines that are not block events.
func parseLogLine(line string) (t time.Time, kind string, b logBlock, ok bool) {
	line = strings.TrimSpace(line)
	var sub, pool, ports string
	if strings.HasPrefix(line, "{") {
		var j struct {
			Time       string `json:"time"`
			Event      string `json:"event"`
			Subscriber string `json:"subscriber"`
			Pool4      string `json:"pool4"`
			Ports      string `json:"ports"`
		}
		if json.Unmarshal([]byte(line), &j) != nil {
			return
		}
		var err error
		if t, err = time.Parse(time.RFC3339Nano, j.Time); err != nil {
			return
		}
		kind, sub, pool, ports = j.Event, j.Subscriber, j.Pool4, j.Ports
	} else {
		f := strings.Fields(line)
		if len(f) < 2 {
			return
		}
		var err error
		if t, err = time.Parse(time.RFC3339Nano, f[0]); err != nil {
			return
		}
		kind = f[1]
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "subscriber":
				sub = v
			case "pool4":
				pool = v
			case "ports":
				ports = v
			}
		}
	}
	if kind != "block-alloc" && kind != "block-release" {
		return
	}
	var err error
	if b.sub, err = netip.ParsePrefix(sub); err != nil {
		return
	}
	if b.pool4, err = netip.ParseAddr(pool); err != nil {
		return
	}
	l, h, found := strings.Cut(ports, "-")
	lo, err1 := strconv.ParseUint(l, 10, 16)
	hi, err2 := strconv.ParseUint(h, 10, 16)
	if !found || err1 != nil || err2 != nil {
		return
	}
	b.lo, b.hi = uint16(lo), uint16(hi)
	return t, kind, b, true
}

// lookupLog replays the mapping log up to at and answers from the blocks
// held at that moment.
func lookupLog(r io.Reader, at time.Time, arg string) ([]LookupJSON, error) {
	a4, a6, err := parseLookup(arg)
	if err != nil {
		return nil, err
	}
	held := map[logBlock]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		t, kind, b, ok := parseLogLine(sc.Text())
		if !ok || t.After(at) {
			continue
		}
		if kind == "block-alloc" {
			held[b] = true
		} else {
			delete(held, b)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []LookupJSON
	for b := range held {
		if a6.IsValid() && b.sub.Contains(a6) || a4.IsValid() && b.pool4 == a4.Addr() && a4.Port() >= b.lo && a4.Port() <= b.hi {
			out = append(out, LookupJSON{b.sub.String(), b.pool4.String(), fmt.Sprintf("%d-%d", b.lo, b.hi), ""})
		}
	}
	sortAnswers(out)
	return out, nil
}

func sortAnswers(a []LookupJSON) {
	slices.SortFunc(a, func(x, y LookupJSON) int {
		return cmp.Or(cmp.Compare(x.IPv4, y.IPv4), cmp.Compare(x.Ports, y.Ports), cmp.Compare(x.Subscriber, y.Subscriber))
	})
}
