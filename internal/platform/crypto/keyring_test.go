package crypto_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newKeyring returns a keyring with a fresh master key and a fake clock.
func newKeyring(t testing.TB, d *db.DB) (*crypto.Keyring, crypto.MasterKey, *clock.Fake) {
	t.Helper()
	m := crypto.GenerateMasterKey()
	clk := clock.NewFake(t0)
	return crypto.NewKeyring(d, m, clk), m, clk
}

func encrypt(t testing.TB, k *crypto.Keyring, plaintext, aad string) string {
	t.Helper()
	v, err := k.Encrypt(context.Background(), []byte(plaintext), aad)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return v
}

func decrypt(t testing.TB, k *crypto.Keyring, value, aad string) string {
	t.Helper()
	pt, err := k.Decrypt(context.Background(), value, aad)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	return string(pt)
}

func keyID(t testing.TB, value string) string {
	t.Helper()
	id, err := crypto.KeyID(value)
	if err != nil {
		t.Fatalf("KeyID: %v", err)
	}
	return id
}

// activeKeyID reads the active data key's id straight from the table.
func activeKeyID(t testing.TB, d *db.DB) string {
	t.Helper()
	var id string
	if err := d.Read().QueryRowContext(context.Background(), `SELECT id FROM data_keys WHERE retired_at IS NULL`).Scan(&id); err != nil {
		t.Fatalf("read active key: %v", err)
	}
	return id
}

func countKeys(t testing.TB, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM data_keys`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRoundTrip(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k, m, _ := newKeyring(t, d)
		tests := []struct {
			name      string
			plaintext []byte
		}{
			{"Empty", []byte{}},
			{"SSN", []byte("123-45-6789")},
			{"Binary", []byte{0, 1, 2, 0xff, '.', 0}},
			{"NoteBody", bytes.Repeat([]byte("Client reports improved sleep. "), 4000)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				aad := "notes.body:7"
				v, err := k.Encrypt(ctx, tt.plaintext, aad)
				if err != nil {
					t.Fatal(err)
				}
				got, err := k.Decrypt(ctx, v, aad)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tt.plaintext) {
					t.Errorf("Decrypt = %d bytes, want the %d encrypted", len(got), len(tt.plaintext))
				}
				if len(tt.plaintext) > 4 && strings.Contains(v, string(tt.plaintext[:5])) {
					t.Errorf("value shows the plaintext")
				}
				if v2, _ := k.Encrypt(ctx, tt.plaintext, aad); v2 == v {
					t.Errorf("two encryptions of one plaintext are equal: the nonce is not fresh")
				}
				// A second instance with an empty cache opens it from the database.
				other := crypto.NewKeyring(d, m, clock.NewFake(t0))
				if got, err := other.Decrypt(ctx, v, aad); err != nil || !bytes.Equal(got, tt.plaintext) {
					t.Errorf("second keyring Decrypt: err = %v, equal = %v", err, bytes.Equal(got, tt.plaintext))
				}
			})
		}
		if n := countKeys(t, d); n != 1 {
			t.Errorf("data keys = %d, want 1 created lazily", n)
		}
	})
}

func TestValueCarriesKeyID(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		k, _, _ := newKeyring(t, d)
		v := encrypt(t, k, "JBSWY3DPEHPK3PXP", "users.totp_secret:42")
		id := activeKeyID(t, d)
		if want := "v1." + id + "."; !strings.HasPrefix(v, want) {
			t.Errorf("value %q does not start with %q", v, want)
		}
		if got := keyID(t, v); got != id {
			t.Errorf("KeyID = %q, want %q", got, id)
		}
	})
}

func TestDecryptFails(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k, _, _ := newKeyring(t, d)
		const plaintext, aad = "SECRET-123-45-6789", "clients.ssn:42"
		v := encrypt(t, k, plaintext, aad)
		head, body, _ := strings.Cut(strings.TrimPrefix(v, "v1."), ".")
		oldKey := head
		if _, err := k.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		vNew := encrypt(t, k, plaintext, aad)
		newKey := keyID(t, vNew)

		flip := func(s string, i int) string {
			b := []byte(s)
			// Swap one base64 character for another valid one.
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}
		tests := []struct {
			name, value, aad string
			want             error
		}{
			{"ErrWrongAAD", v, "clients.ssn:43", crypto.ErrAuthentication},
			{"ErrOtherColumn", v, "clients.notes:42", crypto.ErrAuthentication},
			{"ErrTamperedNonce", "v1." + oldKey + "." + flip(body, 0), aad, crypto.ErrAuthentication},
			{"ErrTamperedCiphertext", "v1." + oldKey + "." + flip(body, 20), aad, crypto.ErrAuthentication},
			{"ErrTamperedTag", "v1." + oldKey + "." + flip(body, len(body)-3), aad, crypto.ErrAuthentication},
			{"ErrOtherKeyID", "v1." + newKey + "." + body, aad, crypto.ErrAuthentication},
			{"ErrUnknownKeyID", "v1.0123456789abcdef." + body, aad, crypto.ErrUnknownKey},
			{"ErrTruncated", "v1." + oldKey + "." + body[:len(body)-len(body)%4-4], aad, crypto.ErrAuthentication},
			{"ErrCutMidCharacter", v[:len(v)-1], aad, crypto.ErrMalformed},
			{"ErrTooShort", "v1." + oldKey + ".AAAA", aad, crypto.ErrMalformed},
			{"ErrNonCanonicalBase64", v[:len(v)-1] + "_", aad, crypto.ErrMalformed},
			{"ErrPlaintext", plaintext, aad, crypto.ErrMalformed},
			{"ErrEmpty", "", aad, crypto.ErrMalformed},
			{"ErrOtherVersion", "v2" + v[2:], aad, crypto.ErrMalformed},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := k.Decrypt(ctx, tt.value, tt.aad)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Decrypt err = %v, want %v", err, tt.want)
				}
				if got != nil {
					t.Errorf("Decrypt returned %d bytes with its error", len(got))
				}
				for _, s := range []string{plaintext, aad, tt.aad} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q contains %q", err, s)
					}
				}
			})
		}
	})
}

func TestRotate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k, _, clk := newKeyring(t, d)
		old := encrypt(t, k, "first", "a:1")
		oldID := keyID(t, old)
		clk.Advance(time.Hour)
		newID, err := k.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if newID == oldID {
			t.Fatalf("Rotate returned the old key id %q", newID)
		}
		if got := activeKeyID(t, d); got != newID {
			t.Errorf("active key in the table = %q, want %q", got, newID)
		}
		var retired int64
		if err := d.Read().QueryRowContext(ctx, `SELECT retired_at FROM data_keys WHERE id = $1`, oldID).Scan(&retired); err != nil {
			t.Fatal(err)
		}
		if got, want := db.Time(retired), clk.Now(); !got.Equal(want) {
			t.Errorf("old key retired_at = %v, want %v", got, want)
		}
		if got := keyID(t, encrypt(t, k, "second", "a:2")); got != newID {
			t.Errorf("value after Rotate under key %q, want the new %q", got, newID)
		}
		if got := decrypt(t, k, old, "a:1"); got != "first" {
			t.Errorf("old value after Rotate = %q, want %q", got, "first")
		}

		// The table itself refuses a second active key.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO data_keys (id, wrapped, master_key_id, created_at) VALUES ('x', 'x', 'x', 0)`)
			return err
		})
		if !db.IsUniqueViolation(err) {
			t.Errorf("second active key: err = %v, want a unique violation", err)
		}
	})
}

// An instance that did not rotate picks the new key up within a minute.
func TestActiveKeyCacheExpires(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := crypto.GenerateMasterKey()
		clk := clock.NewFake(t0)
		a := crypto.NewKeyring(d, m, clk)
		b := crypto.NewKeyring(d, m, clk)
		first := keyID(t, encrypt(t, a, "x", "t:1"))
		newID, err := b.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(59 * time.Second)
		if got := keyID(t, encrypt(t, a, "x", "t:1")); got != first {
			t.Errorf("within a minute: key %q, want the cached %q", got, first)
		}
		clk.Advance(2 * time.Second)
		if got := keyID(t, encrypt(t, a, "x", "t:1")); got != newID {
			t.Errorf("after a minute: key %q, want the rotated %q", got, newID)
		}
	})
}

func TestReencryptAll(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k, m, _ := newKeyring(t, d)
		crypto.SetBatchSize(k, 2)
		if _, err := d.Writer().ExecContext(ctx, `CREATE TABLE secrets (id INTEGER PRIMARY KEY, body TEXT)`); err != nil {
			t.Fatal(err)
		}
		aad := func(id int64) string { return fmt.Sprintf("secrets.body:%d", id) }
		k.Register("secrets", "id", "body", aad)
		put := func(id int64, body any) {
			t.Helper()
			if _, err := d.Writer().ExecContext(ctx, `INSERT INTO secrets (id, body) VALUES ($1, $2)`, id, body); err != nil {
				t.Fatal(err)
			}
		}
		want := map[int64]string{}
		for id := int64(1); id <= 5; id++ {
			want[id] = fmt.Sprintf("note %d", id)
			put(id, encrypt(t, k, want[id], aad(id)))
		}
		put(6, nil)
		put(7, "")
		newID, err := k.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want[8] = "written after rotation"
		put(8, encrypt(t, k, want[8], aad(8)))

		n, err := k.ReencryptAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Errorf("ReencryptAll = %d, want 5", n)
		}
		// Read back with a fresh keyring, so nothing comes from the cache.
		fresh := crypto.NewKeyring(d, m, clock.NewFake(t0))
		rows, err := d.Read().QueryContext(ctx, `SELECT id, body FROM secrets WHERE body <> '' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		seen := 0
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			seen++
			if got := keyID(t, v); got != newID {
				t.Errorf("row %d under key %q, want %q", id, got, newID)
			}
			if got := decrypt(t, fresh, v, aad(id)); got != want[id] {
				t.Errorf("row %d = %q, want %q", id, got, want[id])
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if seen != 6 {
			t.Errorf("rows with values = %d, want 6", seen)
		}
		var nulls int
		if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM secrets WHERE body IS NULL OR body = ''`).Scan(&nulls); err != nil || nulls != 2 {
			t.Errorf("NULL and empty rows = %d (%v), want 2 left alone", nulls, err)
		}
		if n, err := k.ReencryptAll(ctx); err != nil || n != 0 {
			t.Errorf("second ReencryptAll = %d, %v; want 0, nil", n, err)
		}
	})
}

func TestReencryptAllStopsOnBadValue(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k, _, _ := newKeyring(t, d)
		if _, err := d.Writer().ExecContext(ctx, `CREATE TABLE secrets (id INTEGER PRIMARY KEY, body TEXT)`); err != nil {
			t.Fatal(err)
		}
		k.Register("secrets", "id", "body", func(id int64) string { return fmt.Sprintf("secrets.body:%d", id) })
		// Sealed for row 1 but stored in row 3: a swap the aad must catch.
		if _, err := d.Writer().ExecContext(ctx, `INSERT INTO secrets (id, body) VALUES (3, $1)`, encrypt(t, k, "moved", "secrets.body:1")); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := k.ReencryptAll(ctx)
		if !errors.Is(err, crypto.ErrAuthentication) || !strings.Contains(err.Error(), "secrets.body") || !strings.Contains(err.Error(), "row 3") {
			t.Errorf("ReencryptAll err = %v, want ErrAuthentication naming secrets.body row 3", err)
		}
	})
}

func TestRewrapMaster(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k, oldMaster, _ := newKeyring(t, d)
		v1 := encrypt(t, k, "before rotation", "a:1")
		if _, err := k.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		v2 := encrypt(t, k, "after rotation", "a:2")

		newMaster := crypto.GenerateMasterKey()
		if err := k.RewrapMaster(ctx, newMaster); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM data_keys WHERE master_key_id = $1`, newMaster.ID()).Scan(&n); err != nil || n != 2 {
			t.Errorf("data keys under the new master = %d (%v), want 2", n, err)
		}
		// The same keyring goes on working and now seals new data keys under the new master.
		if _, err := k.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		v3 := encrypt(t, k, "third key", "a:3")

		withNew := crypto.NewKeyring(d, newMaster, clock.NewFake(t0))
		if err := withNew.Check(ctx); err != nil {
			t.Errorf("Check with the new master: %v", err)
		}
		for _, c := range []struct{ v, aad, want string }{{v1, "a:1", "before rotation"}, {v2, "a:2", "after rotation"}, {v3, "a:3", "third key"}} {
			if got := decrypt(t, withNew, c.v, c.aad); got != c.want {
				t.Errorf("new master Decrypt = %q, want %q", got, c.want)
			}
		}

		withOld := crypto.NewKeyring(d, oldMaster, clock.NewFake(t0))
		if _, err := withOld.Decrypt(ctx, v1, "a:1"); !errors.Is(err, crypto.ErrWrongMaster) {
			t.Errorf("old master Decrypt err = %v, want ErrWrongMaster", err)
		}
		if err := withOld.Check(ctx); !errors.Is(err, crypto.ErrWrongMaster) {
			t.Errorf("old master Check err = %v, want ErrWrongMaster", err)
		}
		// A key with the right id but other bytes is caught too.
		sameID, err := crypto.ParseMasterKey(newMaster.ID() + ":" + strings.SplitN(crypto.GenerateMasterKey().Encode(), ":", 2)[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := crypto.NewKeyring(d, sameID, clock.NewFake(t0)).Check(ctx); !errors.Is(err, crypto.ErrWrongMaster) {
			t.Errorf("same id, other bytes: Check err = %v, want ErrWrongMaster", err)
		}
		if err := k.RewrapMaster(ctx, newMaster); err == nil {
			t.Errorf("RewrapMaster to the key in use succeeded, want an error")
		}
	})
}

func TestRotateMasterKeyFile(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		old, err := crypto.LoadMasterKey(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		k := crypto.NewKeyring(d, old, clock.NewFake(t0))
		v := encrypt(t, k, "kept", "a:1")
		newMaster, err := k.RotateMasterKeyFile(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := crypto.LoadMasterKey(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		if loaded.Encode() != newMaster.Encode() || newMaster.ID() == old.ID() {
			t.Errorf("master.key holds %v, want the new %v", loaded, newMaster)
		}
		bak := filepath.Join(dir, "master.key."+old.ID()+".bak")
		b, err := os.ReadFile(bak)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(b)) != old.Encode() {
			t.Errorf("%s does not hold the old key", bak)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			fi, _ := e.Info()
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %04o, want 0600", e.Name(), fi.Mode().Perm())
			}
		}
		if len(entries) != 2 {
			t.Errorf("data directory holds %d files, want master.key and the backup", len(entries))
		}
		if got := decrypt(t, crypto.NewKeyring(d, loaded, clock.NewFake(t0)), v, "a:1"); got != "kept" {
			t.Errorf("Decrypt with the rotated key file = %q", got)
		}

		// A key from the environment is not the file's to rotate.
		fromEnv := crypto.NewKeyring(d, crypto.GenerateMasterKey(), clock.NewFake(t0))
		if _, err := fromEnv.RotateMasterKeyFile(ctx, dir); err == nil {
			t.Errorf("RotateMasterKeyFile with a key not from the file succeeded")
		}
	})
}

// Callers encrypt inside their write transaction. On SQLite there is one
// write connection: creating the first data key must use the caller's
// transaction, never wait for a second one.
func TestEncryptInsideTx(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		k, m, _ := newKeyring(t, d)
		var v string
		err := d.InTx(ctx, func(tx *db.Tx) error {
			var err error
			if v, err = k.EncryptTx(ctx, tx, []byte("in tx"), "a:1"); err != nil {
				return err
			}
			// The key exists only in this transaction so far.
			pt, err := k.DecryptTx(ctx, tx, v, "a:1")
			if err != nil || string(pt) != "in tx" {
				return fmt.Errorf("DecryptTx = %q, %v", pt, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("EncryptTx in an open transaction: %v", err)
		}
		if got := decrypt(t, crypto.NewKeyring(d, m, clock.NewFake(t0)), v, "a:1"); got != "in tx" {
			t.Errorf("after commit Decrypt = %q", got)
		}
	})
}

// A data key created in a transaction that rolls back must not stay cached:
// values sealed under it later could never be opened.
func TestEncryptTxRollbackForgetsKey(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k, m, _ := newKeyring(t, d)
		var rolledBack string
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			v, err := k.EncryptTx(ctx, tx, []byte("x"), "a:1")
			if err != nil {
				return err
			}
			rolledBack = keyID(t, v)
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx err = %v, want boom", err)
		}
		if n := countKeys(t, d); n != 0 {
			t.Fatalf("data keys after rollback = %d, want 0", n)
		}
		v := encrypt(t, k, "after", "a:2")
		if got := keyID(t, v); got == rolledBack {
			t.Fatalf("Encrypt after rollback used the rolled-back key %q", got)
		}
		if got := decrypt(t, crypto.NewKeyring(d, m, clock.NewFake(t0)), v, "a:2"); got != "after" {
			t.Errorf("Decrypt = %q, want %q", got, "after")
		}
	})
}

// Instances starting together on an empty database agree on one data key.
func TestConcurrentFirstKey(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := crypto.GenerateMasterKey()
		const n = 6
		values := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			k := crypto.NewKeyring(d, m, clock.NewFake(t0))
			wg.Go(func() {
				if i%2 == 0 {
					values[i], errs[i] = k.Encrypt(ctx, []byte("x"), "a:1")
					return
				}
				errs[i] = d.InTx(ctx, func(tx *db.Tx) error {
					var err error
					values[i], err = k.EncryptTx(ctx, tx, []byte("x"), "a:1")
					return err
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("instance %d: %v", i, err)
			}
		}
		if got := countKeys(t, d); got != 1 {
			t.Errorf("data keys = %d, want 1", got)
		}
		for _, v := range values {
			if got := keyID(t, v); got != activeKeyID(t, d) {
				t.Errorf("value under %q, want the one active key", got)
			}
		}
	})
}

func TestRegisterPanicsOnBadNames(t *testing.T) {
	k := crypto.NewKeyring(&db.DB{}, crypto.GenerateMasterKey(), clock.System{})
	aad := func(int64) string { return "" }
	k.Register("users", "id", "totp_secret", aad)
	tests := []struct {
		name           string
		table, id, col string
		aad            func(int64) string
	}{
		{"ErrInjection", "users; DROP TABLE users", "id", "x", aad},
		{"ErrQuote", `users"`, "id", "x", aad},
		{"ErrNilAAD", "users", "id", "ssn", nil},
		{"ErrTwice", "users", "id", "totp_secret", aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register did not panic")
				}
			}()
			k.Register(tt.table, tt.id, tt.col, tt.aad)
		})
	}
}
