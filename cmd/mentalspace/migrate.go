package main

import (
	"context"
	"fmt"

	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	cfg := config.Default()
	fs := newFlagSet("migrate", "[--status]", s)
	check := commonFlags(fs, &cfg, getenv)
	status := fs.Bool("status", false, "only print where the database stands")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL.Reveal(), Path: cfg.SQLitePath(), MaxConns: 2})
	if err != nil {
		return err
	}
	defer d.Close()
	if *status {
		st, err := d.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "%s: database at migration %d, binary has %d\n", d.Engine, st.Current, st.Latest)
		if st.Current > st.Latest {
			return db.ErrDatabaseNewer
		}
		return nil
	}
	st, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	if err := migrateJobs(ctx, d); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "%s: database at migration %d (current)\n", d.Engine, st.Current)
	return nil
}
