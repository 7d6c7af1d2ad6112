package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlatd/xlatd/config"
)

// reloadCmd is `xlatd reload`: SIGHUP to the running daemon, then wait
// until it has either swapped the new configuration in (exit 0) or refused
// it and kept the old one (exit 1). systemd's ExecReload= uses it so that
// `systemctl reload xlatd` returns when the reload is over and fails when
// the new file was refused. The daemon is found through its control socket:
// its PID from the socket's peer credentials unless -pid names it.
func reloadCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xlatd reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sock := fs.String("socket", config.DefaultControlSocket, "control socket of the running daemon ([control] socket)")
	cfgPath := fs.String("config", "", "read the control socket's path from this config file")
	pid := fs.Int("pid", 0, "PID of the daemon (systemd: $MAINPID); default: the control socket's owner")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the reload to finish")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			// The daemon would refuse this file too: say why, touch nothing.
			fmt.Fprintf(stderr, "xlatd reload: %s is not valid, the daemon keeps its configuration:\n%s\n", *cfgPath, indent(err.Error()))
			return 1
		}
		*sock = c.Control.Socket
	}
	before, owner, err := reloadCounters(*sock)
	if err != nil {
		if *pid == 0 {
			fmt.Fprintf(stderr, "xlatd reload: cannot reach the daemon at %s: %v\n", *sock, err)
			return 1
		}
		// No control socket: signal without waiting.
		if err := syscall.Kill(*pid, syscall.SIGHUP); err != nil {
			fmt.Fprintf(stderr, "xlatd reload: SIGHUP to %d: %v\n", *pid, err)
			return 1
		}
		fmt.Fprintf(stderr, "xlatd reload: SIGHUP sent to %d; cannot wait for the result (control socket %s: %v)\n", *pid, *sock, err)
		return 0
	}
	if *pid == 0 {
		*pid = owner
	}
	if *pid <= 0 {
		fmt.Fprintf(stderr, "xlatd reload: no PID for the daemon at %s: give -pid\n", *sock)
		return 1
	}
	if err := syscall.Kill(*pid, syscall.SIGHUP); err != nil {
		fmt.Fprintf(stderr, "xlatd reload: SIGHUP to %d: %v\n", *pid, err)
		return 1
	}
	deadline := time.Now().Add(*timeout)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		now, _, err := reloadCounters(*sock)
		if err != nil {
			continue // busy, or restarting
		}
		switch {
		case now.errors > before.errors:
			fmt.Fprintf(stderr, "xlatd reload: the daemon (PID %d) refused the new configuration and keeps running with the old one; its log says why\n", *pid)
			return 1
		case now.reloads > before.reloads:
			fmt.Fprintf(stdout, "xlatd reload: configuration reloaded (PID %d)\n", *pid)
			return 0
		}
	}
	fmt.Fprintf(stderr, "xlatd reload: no reload reported by PID %d within %v\n", *pid, *timeout)
	return 1
}

type reloadCount struct{ reloads, errors uint64 }

// reloadCounters asks the daemon for config.reloads and
// config.reload_errors, and returns its PID (SO_PEERCRED).
func reloadCounters(sock string) (reloadCount, int, error) {
	var rc reloadCount
	if sock == "" {
		return rc, 0, errors.New("control socket turned off (control.socket = \"\")")
	}
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return rc, 0, err
	}
	defer conn.Close()
	pid := 0
	if uc, ok := conn.(*net.UnixConn); ok {
		if raw, err := uc.SyscallConn(); err == nil {
			_ = raw.Control(func(fd uintptr) {
				if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
					pid = int(cred.Pid)
				}
			})
		}
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "stats\n"); err != nil {
		return rc, pid, err
	}
	var r StatsReply
	if err := json.NewDecoder(conn).Decode(&r); err != nil {
		return rc, pid, fmt.Errorf("bad reply: %w", err)
	}
	for _, c := range r.Counters {
		switch c.Name {
		case "config.reloads":
			rc.reloads = c.Value
		case "config.reload_errors":
			rc.errors = c.Value
		}
	}
	return rc, pid, nil
}
