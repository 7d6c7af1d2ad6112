// Command xlatd is an IPv4/IPv6 translator (SIIT, RFC 7915) moving packets
// through AF_XDP sockets in batches.
//
//	xlatd -config /etc/xlatd/xlatd.toml          # run in the foreground until SIGINT/SIGTERM
//	xlatd -config FILE -check                    # validate the config, print what is wrong, exit 0/1
//	xlatd stats [-json] [-explain] [-socket PATH | -config FILE] # counters of the running daemon
//	xlatd -version
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func versionString() string {
	v := version
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
			if s.Key == "vcs.modified" && s.Value == "true" {
				rev += "+dirty"
			}
		}
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
