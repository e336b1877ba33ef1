package crypto

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Rotate makes a new active data key and retires the old one, which is kept
// so that values sealed under it still open. Other instances start using the
// new key within a minute; ReencryptAll then moves old values to it.
func (k *Keyring) Rotate(ctx context.Context) (newKeyID string, err error) {
	now := k.clock.Now()
	err = k.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE data_keys SET retired_at = $1 WHERE retired_at IS NULL`, db.Micros(now)); err != nil {
			return err
		}
		dk, _, err := k.insertKey(ctx, tx, now, false)
		if err != nil {
			return err
		}
		newKeyID = dk.id
		tx.AfterCommit(func() { k.cacheActive(dk, now) })
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("rotate data key: %w", err)
	}
	return newKeyID, nil
}

// RewrapMaster re-seals every data key under newMaster in one transaction and
// then uses newMaster. Values are untouched, so this is quick at any size.
// Keys already sealed by newMaster are left alone, so a run interrupted after
// its commit can be repeated. Other instances still holding the old master
// key must be restarted with the new one before they next read a data key.
func (k *Keyring) RewrapMaster(ctx context.Context, newMaster MasterKey) error {
	old := k.currentMaster()
	if newMaster.IsZero() || newMaster.id == old.id {
		return errors.New("rewrap master key: the new master key must be set and have a new id")
	}
	type row struct{ id, wrapped, masterID string }
	err := k.db.InTx(ctx, func(tx *db.Tx) error {
		rs, err := tx.QueryContext(ctx, `SELECT id, wrapped, master_key_id FROM data_keys ORDER BY id`+tx.ForUpdate())
		if err != nil {
			return err
		}
		var all []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.id, &r.wrapped, &r.masterID); err != nil {
				rs.Close()
				return err
			}
			all = append(all, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		for _, r := range all {
			if r.masterID == newMaster.id {
				if _, err := unwrapKey(newMaster, r.id, r.wrapped, r.masterID); err != nil {
					return err
				}
				continue
			}
			raw, err := unwrapKey(old, r.id, r.wrapped, r.masterID)
			if err != nil {
				return err
			}
			wrapped, err := wrapKey(newMaster, r.id, raw)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE data_keys SET wrapped = $1, master_key_id = $2 WHERE id = $3`, wrapped, newMaster.id, r.id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rewrap master key: %w", err)
	}
	k.mu.Lock()
	k.master = newMaster
	k.mu.Unlock()
	return nil
}

// RotateMasterKeyFile replaces the master key kept in <dataDir>/master.key:
// it generates a new key, rewraps every data key under it, and swaps the
// files, keeping the old key as master.key.<old id>.bak. The new key is
// written to master.key.<new id>.new before the database changes, so a crash
// at any step leaves every key the database may need on disk, named by the id
// that the start-up error reports. It refuses when the key in use did not come
// from that file (an environment value): generate a key, RewrapMaster, and
// change the environment instead.
func (k *Keyring) RotateMasterKeyFile(ctx context.Context, dataDir string) (MasterKey, error) {
	path := filepath.Join(dataDir, MasterKeyFile)
	old := k.currentMaster()
	cur, err := readMasterKeyFile(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("rotate master key file: %w", err)
	}
	if !cur.equal(old) {
		return MasterKey{}, fmt.Errorf("rotate master key file: the master key in use is not the one in %s (is it set in the environment?)", path)
	}
	bak := filepath.Join(dataDir, MasterKeyFile+"."+old.id+".bak")
	if _, err := os.Lstat(bak); !errors.Is(err, fs.ErrNotExist) {
		return MasterKey{}, fmt.Errorf("rotate master key file: %s already exists", bak)
	}
	newMaster := GenerateMasterKey()
	pending := filepath.Join(dataDir, MasterKeyFile+"."+newMaster.id+".new")
	if err := writeNewFile(pending, []byte(newMaster.Encode()+"\n")); err != nil {
		return MasterKey{}, fmt.Errorf("rotate master key file: %w", err)
	}
	if err := k.RewrapMaster(ctx, newMaster); err != nil {
		// A failed commit may still have committed: keep the new key.
		return MasterKey{}, fmt.Errorf("%w (the new key, possibly unused, is in %s)", err, pending)
	}
	if err := os.Link(path, bak); err != nil {
		return newMaster, fmt.Errorf("rotate master key file: back up the old key: %w; the database now needs the key in %s", err, pending)
	}
	if err := os.Rename(pending, path); err != nil {
		return newMaster, fmt.Errorf("rotate master key file: %w; the database now needs the key in %s", err, pending)
	}
	if err := syncDir(dataDir); err != nil {
		return newMaster, fmt.Errorf("rotate master key file: %w", err)
	}
	return newMaster, nil
}

// column is a registered encrypted column.
type column struct {
	table, idColumn, column string
	aad                     func(id int64) string
}

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Register declares an encrypted column so that ReencryptAll can move its
// values to the active key. idColumn must be an integer key; aad must return,
// for a row id, exactly the aad the owning package seals with. Domain packages
// call it while the app is wired; it panics on a bad name, a nil aad or a
// column registered twice, all programming errors.
func (k *Keyring) Register(table, idColumn, col string, aad func(id int64) string) {
	for _, s := range []string{table, idColumn, col} {
		if !identRE.MatchString(s) {
			panic(fmt.Sprintf("crypto.Register: %q is not a plain lower-case SQL name", s))
		}
	}
	if aad == nil {
		panic("crypto.Register: nil aad for " + table + "." + col)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range k.columns {
		if c.table == table && c.column == col {
			panic("crypto.Register: " + table + "." + col + " registered twice")
		}
	}
	k.columns = append(k.columns, column{table, idColumn, col, aad})
}

// ReencryptAll re-seals, under the key active now, every value in the
// registered columns that is sealed under another key, and reports how many
// it changed. It walks each column in id order, one transaction per batch, so
// the app keeps running beside it; a row changed meanwhile is left alone
// (its new value is already under a current key). Empty and NULL values are
// skipped. A value that does not open stops the walk with an error naming the
// table, column and row id.
func (k *Keyring) ReencryptAll(ctx context.Context) (n int, err error) {
	k.forgetActive()
	dk, err := k.active(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("reencrypt: %w", err)
	}
	k.mu.Lock()
	cols := append([]column(nil), k.columns...)
	k.mu.Unlock()
	for _, c := range cols {
		m, err := k.reencryptColumn(ctx, c, dk)
		n += m
		if err != nil {
			return n, fmt.Errorf("reencrypt %s.%s: %w", c.table, c.column, err)
		}
	}
	return n, nil
}

func (k *Keyring) reencryptColumn(ctx context.Context, c column, dk dataKey) (n int, err error) {
	want := prefix + dk.id + "."
	// Names are checked by Register and quoted; values go in as parameters.
	// substr(…) <> $3 compares case-sensitively on both engines, unlike LIKE on SQLite.
	sel := fmt.Sprintf(`SELECT "%[1]s", "%[2]s" FROM "%[3]s" WHERE "%[1]s" > $1 AND "%[2]s" <> '' AND substr("%[2]s", 1, $2) <> $3 ORDER BY "%[1]s" LIMIT $4`,
		c.idColumn, c.column, c.table)
	upd := fmt.Sprintf(`UPDATE "%[3]s" SET "%[2]s" = $1 WHERE "%[1]s" = $2 AND "%[2]s" = $3`, c.idColumn, c.column, c.table)
	// MinInt32 rather than MinInt64: an INTEGER id on PostgreSQL types $1 as int4.
	last := int64(math.MinInt32)
	for done := false; !done; {
		changed := 0
		err := k.db.InTx(ctx, func(tx *db.Tx) error {
			type row struct {
				id    int64
				value string
			}
			rs, err := tx.QueryContext(ctx, sel, last, len(want), want, k.batch)
			if err != nil {
				return err
			}
			var batch []row
			for rs.Next() {
				var r row
				if err := rs.Scan(&r.id, &r.value); err != nil {
					rs.Close()
					return err
				}
				batch = append(batch, r)
			}
			rs.Close()
			if err := rs.Err(); err != nil {
				return err
			}
			done = len(batch) < k.batch
			for _, r := range batch {
				aad := c.aad(r.id)
				pt, err := k.DecryptTx(ctx, tx, r.value, aad)
				if err != nil {
					return fmt.Errorf("row %d: %w", r.id, err)
				}
				res, err := tx.ExecContext(ctx, upd, dk.seal(pt, aad), r.id, r.value)
				if err != nil {
					return fmt.Errorf("row %d: %w", r.id, err)
				}
				if m, err := res.RowsAffected(); err == nil {
					changed += int(m)
				}
				last = r.id
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += changed
	}
	return n, nil
}
