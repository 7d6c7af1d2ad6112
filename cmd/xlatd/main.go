// Command xlatd is an IPv4/IPv6 translator (SIIT, RFC 7915) moving packets
// through AF_XDP sockets in batches.
//
//	xlatd -config /etc/xlatd/xlatd.toml          # run in the foreground until SIGINT/SIGTERM
//	xlatd -config FILE -check                    # validate the config, print what is wrong, exit 0/1
//	xlatd stats [-json] [-explain] [-socket PATH | -config FILE] # counters of the running daemon
//	xlatd reload [-pid PID] [-socket PATH | -config FILE]        # SIGHUP and wait for the outcome
//	xlatd nat64 bib|sessions [-json] [-socket PATH | -config FILE] # NAT64 state of the running daemon
//	xlatd nat64 flush [-json] [-socket PATH | -config FILE]        # end the running daemon's dynamic NAT64 state
//	xlatd nat64 lookup -config FILE [-json] [-at TIME -log FILE] ADDR4:PORT | ADDR6
//	xlatd -version
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// version and revision are set at build time (make build, make deb):
//
//	go build -ldflags "-X main.version=1.2.0 -X main.revision=<commit>"
//
// A plain `go build` or `go install` leaves them empty; the module version
// and the VCS stamp Go records in the binary (runtime/debug.ReadBuildInfo:
// vcs.revision, vcs.modified) are used instead.
var (
	version  = ""
	revision = ""
)

// versionString is "RELEASE (REVISION)", e.g. "1.2.0 (0123456789ab)",
// "v0.0.0-20261127-0123456789ab (0123456789ab)" for go install of a
// pseudo-version, "dev (0123456789ab+dirty)" for a build from a modified
// tree, "dev" when nothing is known.
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(version, revision, bi)
}

func formatVersion(v, rev string, bi *debug.BuildInfo) string {
	dirty := false
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = true
			}
		}
		if rev == "" {
			// go install module@version records no VCS stamp, but a
			// pseudo-version ends in the commit's first 12 hex digits.
			if i := strings.LastIndexByte(bi.Main.Version, '-'); i > 0 && len(bi.Main.Version)-i-1 == 12 {
				rev = bi.Main.Version[i+1:]
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty && rev != "" && !strings.HasSuffix(rev, "+dirty") {
		rev += "+dirty"
	}
	if v == "" {
		v = "dev"
	}
	if rev != "" {
		v += " (" + rev + ")"
	}
	return v
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "stats" {
		return statsCmd(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "nat64" {
		return nat64Cmd(args[1:], stdout, stderr) // nat64cmd.go
	}
	if len(args) > 0 && args[0] == "reload" {
		return reloadCmd(args[1:], stdout, stderr) // reload.go
	}
	fs := flag.NewFlagSet("xlatd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "path of the TOML configuration file")
	check := fs.Bool("check", false, "validate the configuration, print what is wrong, exit 0 (valid) or 1")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage:
  xlatd -config FILE            run in the foreground until SIGINT/SIGTERM (SIGHUP reloads FILE)
  xlatd -config FILE -check     validate FILE (missing interfaces: a warning), exit 0/1
  xlatd stats [-json] [-explain] [-all] [-socket PATH | -config FILE]
                                counters of the running daemon
  xlatd reload [-pid PID] [-socket PATH | -config FILE]
                                SIGHUP the running daemon and wait: exit 0 reloaded, 1 refused
  xlatd nat64 bib|sessions [-json] [-socket PATH | -config FILE]
                                NAT64 BIB entries or sessions of the running daemon
  xlatd nat64 flush [-json] [-socket PATH | -config FILE]
                                end every NAT64 session and dynamic BIB entry of the running daemon
  xlatd nat64 lookup -config FILE [-json] [-at TIME -log FILE] ADDR4:PORT | ADDR6
                                which subscriber held a pool4 port, or a subscriber's ports
  xlatd -version
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "xlatd", versionString())
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "xlatd: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *cfgPath == "" {
		fmt.Fprintln(stderr, "xlatd: -config FILE is required")
		fs.Usage()
		return 2
	}
	if *check {
		return checkCmd(*cfgPath, stdout, stderr)
	}
	return daemonMain(*cfgPath, stderr)
}
