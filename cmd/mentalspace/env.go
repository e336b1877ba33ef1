package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/app"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/practice"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

var errHelp = errors.New("help shown")

func newFlagSet(name, usageLine string, s stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprintf(s.err, "Usage: mentalspace %s %s\n\nFlags:\n", name, usageLine)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	if err == nil && fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return err
}

// env is an opened installation: configuration, database and services.
type env struct {
	cfg      config.Config
	log      *slog.Logger
	db       *db.DB
	clock    clock.Clock
	keyring  *crypto.Keyring
	audit    *audit.Log
	auth     *auth.Service
	practice *practice.Service
	clients  *clients.Service
	schedule *scheduling.Service
	notes    *notes.Service
	clinical *clinical.Service
	// linkKey signs the links in appointment reminders; derived from the
	// master key so that every instance agrees (see newReminders).
	linkKey []byte
}

func newLogger(cfg config.Config, s stdio) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(s.err, opts))
	}
	return slog.New(slog.NewTextHandler(s.err, opts))
}

// open opens the database, applies migrations when migrate is set (else
// refuses a database that is not current), loads the master key and builds
// the services.
func open(ctx context.Context, cfg config.Config, s stdio, migrate bool) (*env, error) {
	e := &env{cfg: cfg, log: newLogger(cfg, s), clock: clock.System{}}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL.Reveal(), Path: cfg.SQLitePath(), MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	e.db = d
	if migrate {
		if _, err := d.Migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
		if err := migrateJobs(ctx, d); err != nil {
			d.Close()
			return nil, err
		}
	} else if err := d.CheckCurrent(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("%w (run `mentalspace migrate`)", err)
	}
	mk, err := crypto.LoadMasterKey(cfg.DataDir, cfg.MasterKey.Reveal())
	if err != nil {
		d.Close()
		return nil, err
	}
	e.keyring = crypto.NewKeyring(d, mk, e.clock)
	e.linkKey = mk.Derive("reminder-links")
	if err := e.keyring.Check(ctx); err != nil {
		d.Close()
		return nil, err
	}
	// Every encrypted column, so `keys rotate` re-encrypts it.
	e.keyring.Register("users", "id", "totp_secret", auth.SecretAAD)
	e.keyring.Register("clients", "id", "ssn", clients.SSNAAD)
	e.keyring.Register("notes", "id", "body", notes.BodyAAD)
	e.keyring.Register("notes", "id", "return_comment", notes.ReturnAAD)
	e.keyring.Register("note_addenda", "id", "body", notes.AddendumAAD)
	e.keyring.Register("psychotherapy_notes", "id", "body", notes.PsychotherapyAAD)
	e.keyring.Register("risk_assessments", "id", "body", clinical.RiskAAD)
	e.keyring.Register("safety_plans", "client_id", "body", clinical.SafetyPlanAAD)
	// The one permission policy: the role table, and the caseload rule for
	// clinicians' access to individual clients.
	e.audit = audit.NewLog(d, e.clock, access.Policy{ClientRule: clients.CaseloadRule(d, e.clock)})
	rpID, rpOrigins := app.RelyingParty(cfg.PublicURL, cfg.Addr, cfg.TLS(), cfg.BehindProxy)
	e.auth = auth.NewService(d, e.clock, e.audit, e.keyring, auth.Options{AbsoluteTimeout: cfg.SessionAbsolute, RPID: rpID, RPOrigins: rpOrigins})
	e.practice = practice.NewService(d, e.clock, e.audit)
	e.clients = clients.NewService(d, e.clock, e.audit, e.keyring)
	e.schedule = scheduling.NewService(d, e.clock, e.audit)
	e.clinical = clinical.NewService(d, e.clock, e.audit, e.keyring)
	e.notes = notes.NewService(d, e.clock, e.audit, e.keyring, e.auth)
	return e, nil
}

func (e *env) close() { e.db.Close() }

// system is the actor for an operator at the shell; its entries show no user.
func system() access.Actor {
	host, _ := os.Hostname()
	return access.Actor{System: true, IP: "shell", UserAgent: "mentalspace-cli on " + host}
}

// commonFlags registers the configuration flags and returns the validator.
func commonFlags(fs *flag.FlagSet, cfg *config.Config, getenv func(string) string) func() error {
	return cfg.Flags(fs, getenv)
}
