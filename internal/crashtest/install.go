package crashtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Program is how to run the mentalspace binary: the executable and the
// arguments that come before a command's own. The shipped binary needs none;
// a test binary re-running itself as mentalspace does.
type Program struct {
	Path string
	Args []string
	// Env is added to every child's environment.
	Env []string
}

// Installation is a MentalSpace installation the harness owns and drives
// from outside, as an operator would: its data directory (SQLite database,
// master key) and, on PostgreSQL, the URL of a database of its own.
type Installation struct {
	Program     Program
	Engine      db.Engine
	DataDir     string
	DatabaseURL string // empty on SQLite
}

// environ is the child's environment: this process's, without any
// MENTALSPACE_* setting (which could point a child at another database),
// then the installation's.
func (in *Installation) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MENTALSPACE_") {
			env = append(env, kv)
		}
	}
	env = append(env, in.Program.Env...)
	env = append(env, "MENTALSPACE_DATA_DIR="+in.DataDir, "MENTALSPACE_LOG_FORMAT=text", "MENTALSPACE_LOG_LEVEL=info")
	if in.DatabaseURL != "" {
		env = append(env, "MENTALSPACE_DATABASE_URL="+in.DatabaseURL)
	}
	return env
}

func (in *Installation) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, in.Program.Path, append(append([]string{}, in.Program.Args...), args...)...)
	cmd.Env = in.environ()
	return cmd
}

// Run runs `mentalspace args…` to completion and returns its standard
// output; the error carries the exit status and standard error.
func (in *Installation) Run(ctx context.Context, args ...string) (string, error) {
	cmd := in.command(ctx, args...)
	var out, errw bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errw
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("mentalspace %s: %w\n%s", strings.Join(args, " "), err, lastLines(errw.String(), 20))
	}
	return out.String(), nil
}

// Open opens the installation's database directly, as the server would.
func (in *Installation) Open(ctx context.Context) (*db.DB, error) {
	return db.Open(ctx, db.Options{URL: in.DatabaseURL, Path: filepath.Join(in.DataDir, "mentalspace.db"), MaxConns: 2})
}

// Server is a `mentalspace serve` child process.
type Server struct {
	// URL is where it serves, http://127.0.0.1:PORT.
	URL  string
	cmd  *exec.Cmd
	logs *tailBuffer
	done chan struct{}
	err  error // the process's exit, once done is closed
}

var servingRE = regexp.MustCompile(`msg=serving url=(\S+)`)

// Launch starts `mentalspace serve` on a free loopback port and returns as
// soon as the process runs; Ready waits until it serves.
func (in *Installation) Launch() (*Server, error) {
	// No context: the harness decides how the server ends (Kill or Stop).
	cmd := in.command(context.Background(), "serve", "--addr", "127.0.0.1:0")
	s := &Server{cmd: cmd, logs: &tailBuffer{max: 1 << 20}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mentalspace serve: %w", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// Start launches the server and waits until /readyz answers 200.
func (in *Installation) Start(ctx context.Context) (*Server, error) {
	s, err := in.Launch()
	if err != nil {
		return nil, err
	}
	if err := s.Ready(ctx, 60*time.Second); err != nil {
		_ = s.Kill()
		return nil, err
	}
	return s, nil
}

// Ready waits for the "serving" log line, then for /readyz to answer 200.
func (s *Server) Ready(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if s.URL == "" {
			if m := servingRE.FindStringSubmatch(s.logs.head()); m != nil {
				s.URL = m[1]
			}
		}
		if s.URL != "" {
			resp, err := client.Get(s.URL + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("mentalspace serve exited before it was ready (%v):\n%s", s.err, lastLines(s.logs.String(), 30))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mentalspace serve not ready within %s:\n%s", timeout, lastLines(s.logs.String(), 30))
		}
	}
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Kill ends the server with SIGKILL, as a crash or the OOM killer would:
// no shutdown code runs. It returns once the process is gone.
func (s *Server) Kill() error {
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill server: %w", err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("server still running 30s after SIGKILL")
	}
}

// Stop asks the server to shut down (SIGTERM) and waits for it; it reports
// an unclean exit.
func (s *Server) Stop(timeout time.Duration) error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop server: %w", err)
	}
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("server exited with %v:\n%s", s.err, lastLines(s.logs.String(), 30))
		}
		return nil
	case <-time.After(timeout):
		_ = s.Kill()
		return fmt.Errorf("server still running %s after SIGTERM; killed", timeout)
	}
}

// Exited reports whether the process has ended on its own.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Logs returns the end of the server's output.
func (s *Server) Logs() string { return s.logs.String() }

// ErrorLines returns the first error lines the server logged (level=ERROR),
// however long it ran.
func (s *Server) ErrorLines() []string {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	return slices.Clone(s.logs.errors)
}

// tailBuffer keeps the first 64 KiB a process writes (where the "serving"
// line is), its last max bytes, and its first 100 error lines.
type tailBuffer struct {
	mu      sync.Mutex
	first   []byte
	buf     []byte
	max     int
	partial []byte // the unfinished last line
	errors  []string
}

const headSize = 64 << 10

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := headSize - len(b.first); room > 0 {
		b.first = append(b.first, p[:min(room, len(p))]...)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max/2:]...)
	}
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		if line := b.partial[:i]; len(b.errors) < 100 && bytes.Contains(line, []byte("level=ERROR")) {
			b.errors = append(b.errors, string(line))
		}
		b.partial = b.partial[i+1:]
	}
	if len(b.partial) > 1<<16 {
		b.partial = nil // a line that long is not a log line worth keeping
	}
	return len(p), nil
}

func (b *tailBuffer) head() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.first)
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Database names the harness makes: its own prefix, so they are easy to
// find and drop, and nothing that needs quoting.
var dbNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// CreateDatabase makes the database name on the PostgreSQL server that
// serverURL reaches (a copy of template when it is set) and returns its URL.
// The role needs CREATEDB. A template must have no other sessions open.
func CreateDatabase(ctx context.Context, serverURL, name, template string) (string, error) {
	if !dbNameRE.MatchString(name) || (template != "" && !dbNameRE.MatchString(template)) {
		return "", fmt.Errorf("create database: %q or %q is not a plain lower-case name", name, template)
	}
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("create database: give a postgres:// URL")
	}
	d, err := db.Open(ctx, db.Options{URL: serverURL, MaxConns: 1})
	if err != nil {
		return "", err
	}
	defer d.Close()
	q := `CREATE DATABASE ` + name
	if template != "" {
		q += ` TEMPLATE ` + template
	}
	// A template in use by another session refuses to be copied: retry
	// for a while (a generator or benchmark may be reading it).
	for try := 0; ; try++ {
		_, err = d.Writer().ExecContext(ctx, q)
		if err == nil || template == "" || try == 30 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// DropDatabase drops the database name, ending its sessions.
func DropDatabase(ctx context.Context, serverURL, name string) error {
	if !dbNameRE.MatchString(name) {
		return fmt.Errorf("drop database: %q is not a plain lower-case name", name)
	}
	d, err := db.Open(ctx, db.Options{URL: serverURL, MaxConns: 1})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Writer().ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}
