package main

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

func cmdBackup(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	cfg := config.Default()
	fs := newFlagSet("backup", "[--out FILE]", s)
	check := commonFlags(fs, &cfg, getenv)
	out := fs.String("out", "", "where to write the copy (default: <data-dir>/backups/mentalspace-<time>.db, or .dump on PostgreSQL)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	if url := cfg.DatabaseURL.Reveal(); url != "" {
		return backupPostgres(ctx, url, *out, cfg, stamp, s)
	}
	if *out == "" {
		*out = filepath.Join(cfg.DataDir, "backups", "mentalspace-"+stamp+".db")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists; choose another --out", *out)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(cfg.SQLitePath()); err != nil {
		return fmt.Errorf("no database at %s", cfg.SQLitePath())
	}
	d, err := db.Open(ctx, db.Options{Path: cfg.SQLitePath(), MaxConns: 1})
	if err != nil {
		return err
	}
	defer d.Close()
	// VACUUM INTO writes a consistent snapshot while the server keeps running:
	// it reads in one transaction, which WAL lets proceed beside the writer.
	if _, err := d.Writer().ExecContext(ctx, `VACUUM INTO $1`, *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Chmod(*out, 0o600); err != nil {
		return err
	}
	var ok string
	if err := checkSQLite(ctx, *out, &ok); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "backup written to %s (integrity %s)\n", *out, ok)
	fmt.Fprintln(s.out, "Keep the master key (master.key or MENTALSPACE_MASTER_KEY) backed up separately: encrypted fields cannot be read without it.")
	return nil
}

func checkSQLite(ctx context.Context, path string, result *string) error {
	d, err := db.Open(ctx, db.Options{Path: path, MaxConns: 1})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Read().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(result); err != nil {
		return err
	}
	if *result != "ok" {
		return fmt.Errorf("the backup failed its integrity check: %s", *result)
	}
	return nil
}

// backupPostgres runs pg_dump when it is installed, and otherwise prints the
// recipe: PostgreSQL's own tool makes the consistent copy.
func backupPostgres(ctx context.Context, url, out string, cfg config.Config, stamp string, s stdio) error {
	if out == "" {
		out = filepath.Join(cfg.DataDir, "backups", "mentalspace-"+stamp+".dump")
	}
	recipe := fmt.Sprintf("pg_dump --format=custom --file %q \"$MENTALSPACE_DATABASE_URL\"", out)
	path, err := exec.LookPath("pg_dump")
	if err != nil {
		fmt.Fprintln(s.out, "pg_dump is not installed here. Run this where it is (a consistent snapshot, safe while MentalSpace runs):")
		fmt.Fprintln(s.out, "  "+recipe)
		fmt.Fprintln(s.out, "Restore with: pg_restore --clean --if-exists --dbname \"$MENTALSPACE_DATABASE_URL\" FILE")
		return errors.New("pg_dump not found")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return err
	}
	// The password goes in the environment, not on the command line, where
	// any user of the machine could read it in the process list.
	dbURL, password := url, ""
	if u, err := neturl.Parse(url); err == nil && u.User != nil {
		password, _ = u.User.Password()
		u.User = neturl.User(u.User.Username())
		dbURL = u.String()
	}
	cmd := exec.CommandContext(ctx, path, "--format=custom", "--file", out, "--dbname", dbURL)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	cmd.Stdout, cmd.Stderr = s.err, s.err
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_dump: %w", err)
	}
	if err := os.Chmod(out, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "backup written to %s with pg_dump\n", out)
	return nil
}
