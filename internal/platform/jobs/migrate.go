package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Migrate applies River's own migrations (its river_* tables) to d; applied
// ones are skipped, so it is safe on every start. Run it after d.Migrate.
// On PostgreSQL the tables land in the first schema of the connection's
// search_path, the same one River's clients then use.
func Migrate(ctx context.Context, d *db.DB) error {
	var err error
	switch d.Engine {
	case db.SQLite:
		err = migrate(ctx, riversqlite.New(d.Writer()))
	case db.Postgres:
		err = migrate(ctx, riverpgxv5.New(d.Pool))
	default:
		err = fmt.Errorf("unknown engine %q", d.Engine)
	}
	if err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	return nil
}

func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	// River logs each step; the caller reports the outcome, so stay quiet.
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
