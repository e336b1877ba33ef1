package db

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// MigrationStatus tells where the database stands against the binary.
type MigrationStatus struct {
	Current int64 // applied version in the database
	Latest  int64 // newest version this binary knows
}

// Pending reports whether migrations are waiting to be applied.
func (s MigrationStatus) Pending() bool { return s.Current < s.Latest }

// ErrDatabaseNewer is returned when the database was migrated by a newer binary.
var ErrDatabaseNewer = errors.New("the database was migrated by a newer MentalSpace; refusing to start with this older binary")

func (d *DB) provider(opts ...goose.ProviderOption) (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if d.Engine == Postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	sub, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, d.write, sub, append(opts, goose.WithDisableGlobalRegistry(true))...)
}

// MigrationStatus reads the applied and latest versions.
func (d *DB) MigrationStatus(ctx context.Context) (MigrationStatus, error) {
	p, err := d.provider()
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("migration status: %w", err)
	}
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("migration status: %w", err)
	}
	var latest int64
	for _, s := range p.ListSources() {
		latest = max(latest, s.Version)
	}
	return MigrationStatus{Current: cur, Latest: latest}, nil
}

// Migrate applies every pending migration, each in its own transaction. It
// refuses to touch a database that is newer than this binary.
func (d *DB) Migrate(ctx context.Context) (MigrationStatus, error) {
	st, err := d.MigrationStatus(ctx)
	if err != nil {
		return st, err
	}
	if st.Current > st.Latest {
		return st, ErrDatabaseNewer
	}
	var opts []goose.ProviderOption
	if d.Engine == Postgres {
		// Several instances may start together: one migrates, the others
		// wait on an advisory lock and then find nothing to do.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return st, fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := d.provider(opts...)
	if err != nil {
		return st, fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return st, fmt.Errorf("migrate: %w", err)
	}
	return d.MigrationStatus(ctx)
}

// CheckCurrent returns an error unless every migration has been applied.
func (d *DB) CheckCurrent(ctx context.Context) error {
	st, err := d.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Current > st.Latest:
		return ErrDatabaseNewer
	case st.Pending():
		return fmt.Errorf("database at migration %d, binary expects %d", st.Current, st.Latest)
	}
	return nil
}
