package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// BulkInsert loads rows into table in one transaction, for data generators
// and benchmarks: COPY on PostgreSQL, 100-row INSERT statements on SQLite.
// It bypasses services, audit and validation; never use it for user data.
func (d *DB) BulkInsert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if d.Engine == Postgres {
		_, err := d.Pool.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	}
	return d.InTx(ctx, func(tx *Tx) error { return insertRows(ctx, tx, table, cols, rows) })
}

// insertRows inserts rows 100 to a statement with positional ? parameters:
// SQLite looks $N names up one by one, which makes a long INSERT quadratic.
func insertRows(ctx context.Context, tx *Tx, table string, cols []string, rows [][]any) error {
	const per = 100
	stmt := func(k int) string {
		return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
			strings.Repeat(",("+strings.Repeat(",?", len(cols))[1:]+")", k)[1:]
	}
	full, err := tx.PrepareContext(ctx, stmt(per))
	if err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	defer full.Close()
	args := make([]any, 0, per*len(cols))
	for i := 0; i < len(rows); i += per {
		chunk := rows[i:min(i+per, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		if len(chunk) == per {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, stmt(len(chunk)), args...)
		}
		if err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return nil
}
