package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/mentalspace/mentalspace/internal/app"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/jobs"
)

func migrateJobs(ctx context.Context, d *db.DB) error { return jobs.Migrate(ctx, d) }

func cmdServe(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	cfg := config.Default()
	fs := newFlagSet("serve", "[flags]", s)
	check := commonFlags(fs, &cfg, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	return serve(ctx, cfg, s, nil)
}

// serve runs the server until ctx ends (SIGINT or SIGTERM), then shuts down
// gracefully: no new connections, in-flight requests and jobs finish within
// the shutdown timeout. ready, when set, runs once the listener is open.
func serve(ctx context.Context, cfg config.Config, s stdio, ready func(e *env, url string) error) error {
	start := time.Now()
	// Plain HTTP carries session cookies in clear: only on loopback, or
	// behind a proxy that terminates TLS.
	if !cfg.TLS() && !cfg.BehindProxy && !cfg.LoopbackAddr() {
		return fmt.Errorf("refusing plain HTTP on %s: use --tls-cert/--tls-key, or --behind-proxy with a TLS-terminating reverse proxy (see README)", cfg.Addr)
	}
	e, err := open(ctx, cfg, s, true)
	if err != nil {
		return err
	}
	defer e.close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	runner, err := jobs.New(e.db, e.log, jobs.Options{Registerer: reg})
	if err != nil {
		return err
	}
	jobs.AddWorker(runner, &auth.PurgeWorker{Service: e.auth})
	// The built-in note templates: idempotent, safe on every instance at once.
	if err := e.notes.EnsureTemplates(ctx); err != nil {
		return err
	}
	runner.AddPeriodic(auth.PurgeEvery, auth.PurgeArgs{})
	rem, err := newReminders(e, runner)
	if err != nil {
		return err
	}
	if err := newDigest(e, runner); err != nil {
		return err
	}

	a, err := app.New(app.Deps{DB: e.db, Clock: e.clock, Log: e.log, Auth: e.auth, Audit: e.audit, Practice: e.practice, Clients: e.clients, Scheduling: e.schedule, Reminders: rem, Notes: e.notes, Clinical: e.clinical,
		Registry: reg, SecureCookies: cfg.TLS() || cfg.BehindProxy, TrustProxy: cfg.BehindProxy, Version: versionString()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return err
	}
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	engine := string(e.db.Engine)
	e.log.Debug("configuration", "config", cfg.String())
	e.log.Info("serving", "url", url, "engine", engine, "version", versionString(), "startup_ms", time.Since(start).Milliseconds())
	if ready != nil {
		if err := ready(e, url); err != nil {
			ln.Close()
			// The jobs are running: stop them before the database closes.
			sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			return errors.Join(err, runner.Stop(sctx))
		}
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLS() {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		_ = runner.Stop(context.Background())
		return err
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	err = errors.Join(err, runner.Stop(sctx))
	if errors.Is(<-errc, http.ErrServerClosed) && err == nil {
		e.log.Info("stopped")
		return nil
	}
	return err
}
