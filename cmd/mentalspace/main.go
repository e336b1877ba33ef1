// Command mentalspace is the whole product in one binary: the web server and
// the operator's commands. Run `mentalspace help` for the list.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build information.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// io bundles the command's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, getenv func(string) string, s stdio) error
}

func commands() []command {
	return []command{
		{"serve", "run the web server", cmdServe},
		{"demo", "run the server on a freshly seeded demo practice and print how to sign in", cmdDemo},
		{"gen", "fill an empty database with a synthetic practice for benchmarks: gen --size small", cmdGen},
		{"bench", "measure the hot paths on a generated database: bench --scenarios S1,S2 --duration 10s", cmdBench},
		{"migrate", "apply database migrations (also done by serve)", cmdMigrate},
		{"user", "manage staff accounts: add, list, disable, reset-mfa", cmdUser},
		{"token", "create a personal API token: token create --email E", cmdToken},
		{"audit", "check the audit log's hash chain: audit verify", cmdAudit},
		{"backup", "write a consistent copy of the database", cmdBackup},
		{"keys", "rotate encryption keys: keys rotate [--master]", cmdKeys},
		{"version", "print the version", cmdVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "MentalSpace: practice management and EHR for outpatient mental-health practices.")
	fmt.Fprintln(w, "\nUsage: mentalspace <command> [flags]   (mentalspace <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set with a MENTALSPACE_* environment variable, named in its help.")
	fmt.Fprintln(w, "Test instruments, on databases of their own: crashtest, loadtest (docs/PERFORMANCE.md).")
}

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, getenv func(string) string, in io.Reader, out, errw io.Writer) int {
	s := stdio{in: in, out: out, err: errw}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range append(commands(), toolCommands()...) {
		if c.name == args[0] {
			if err := c.run(ctx, args[1:], getenv, s); err != nil {
				if err == errHelp {
					return 0
				}
				fmt.Fprintf(errw, "mentalspace %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(errw, "mentalspace: unknown command %q\n\n", args[0])
	usage(errw)
	return 2
}

func cmdVersion(_ context.Context, args []string, getenv func(string) string, s stdio) error {
	fs := newFlagSet("version", "", s)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(s.out, "mentalspace", versionString())
	return nil
}
