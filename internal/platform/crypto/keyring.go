package crypto

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// activeTTL bounds how long a cached active key id is trusted. Several app
// instances share one database, so a rotation made by one reaches the others
// within this time; until then they keep sealing under the retired key, whose
// values still open and which ReencryptAll moves later.
const activeTTL = time.Minute

// Keyring seals and opens field values with the data keys in the database.
// Unwrapped data keys are cached in memory: data keys never change once
// written, so only which one is active can go stale (see activeTTL). A
// Keyring is safe for concurrent use.
type Keyring struct {
	db    *db.DB
	clock clock.Clock
	batch int // rows per ReencryptAll transaction

	mu         sync.Mutex
	master     MasterKey
	keys       map[string]cipher.AEAD // unwrapped data keys by id
	activeID   string
	activeRead time.Time // when activeID was read from the database
	columns    []column
}

// NewKeyring returns a Keyring over d's data_keys table. It panics on a zero
// master key, a programming error that would otherwise seal with no key.
func NewKeyring(d *db.DB, master MasterKey, clk clock.Clock) *Keyring {
	if d == nil || clk == nil || master.IsZero() {
		panic("crypto.NewKeyring: nil database or clock, or zero master key")
	}
	return &Keyring{db: d, clock: clk, batch: 200, master: master, keys: map[string]cipher.AEAD{}}
}

// Encrypt seals plaintext under the active data key, creating the first data
// key if there is none, and binds it to aad (where the value is stored, e.g.
// "users.totp_secret:42"). It must not be called inside an open transaction:
// on SQLite creating the first key would wait for the write connection that
// transaction holds, for ever. Use EncryptTx there.
func (k *Keyring) Encrypt(ctx context.Context, plaintext []byte, aad string) (string, error) {
	return k.EncryptTx(ctx, nil, plaintext, aad)
}

// EncryptTx is Encrypt inside the caller's write transaction: any database
// work (creating the first data key) runs in tx, and what it learns is cached
// only once tx commits, so a rollback cannot leave the cache naming a key that
// does not exist. A nil tx is Encrypt.
func (k *Keyring) EncryptTx(ctx context.Context, tx *db.Tx, plaintext []byte, aad string) (string, error) {
	dk, err := k.active(ctx, tx)
	if err != nil {
		return "", fmt.Errorf("encrypt: %w", err)
	}
	return dk.seal(plaintext, aad), nil
}

// Decrypt opens a value made by Encrypt with the same aad. It fails with
// ErrMalformed, ErrUnknownKey, ErrAuthentication (altered, or other aad) or
// ErrWrongMaster, wrapped; the error never holds the plaintext or a key.
// Values sealed under retired keys open too.
func (k *Keyring) Decrypt(ctx context.Context, value string, aad string) ([]byte, error) {
	return k.DecryptTx(ctx, nil, value, aad)
}

// DecryptTx is Decrypt inside the caller's transaction, which lets it open
// values sealed under a data key that tx itself created. A nil tx is Decrypt.
func (k *Keyring) DecryptTx(ctx context.Context, tx *db.Tx, value string, aad string) ([]byte, error) {
	id, sealed, err := parse(value)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	dk, err := k.key(ctx, tx, id)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	pt, err := dk.open(sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("decrypt with data key %s: %w", id, err)
	}
	return pt, nil
}

// Check opens every data key with the loaded master key, so that a wrong or
// lost key file fails at start-up rather than on the first chart opened.
func (k *Keyring) Check(ctx context.Context) error {
	rows, err := k.db.Read().QueryContext(ctx, `SELECT id, wrapped, master_key_id FROM data_keys ORDER BY created_at`)
	if err != nil {
		return fmt.Errorf("check data keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, wrapped, masterID string
		if err := rows.Scan(&id, &wrapped, &masterID); err != nil {
			return fmt.Errorf("check data keys: %w", err)
		}
		a, err := k.unwrap(id, wrapped, masterID)
		if err != nil {
			return fmt.Errorf("check data keys: %w", err)
		}
		k.cacheKey(id, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check data keys: %w", err)
	}
	return nil
}

// active returns the active data key: from the cache when read less than
// activeTTL ago, else from the database, creating it if there is none. tx may
// be nil.
func (k *Keyring) active(ctx context.Context, tx *db.Tx) (dataKey, error) {
	now := k.clock.Now()
	k.mu.Lock()
	if k.activeID != "" && now.Sub(k.activeRead) < activeTTL {
		if a, ok := k.keys[k.activeID]; ok {
			dk := dataKey{id: k.activeID, aead: a}
			k.mu.Unlock()
			return dk, nil
		}
	}
	k.mu.Unlock()

	if tx != nil {
		return k.activeTx(ctx, tx, now)
	}
	// The common case only reads; take the write lock only to create the first key.
	dk, err := k.readActive(ctx, k.db.Read())
	if err == nil {
		k.cacheActive(dk, now)
		return dk, nil
	}
	if !errors.Is(err, errNoActive) {
		return dataKey{}, err
	}
	err = k.db.InTx(ctx, func(tx *db.Tx) error {
		dk, err = k.activeTx(ctx, tx, now)
		return err
	})
	return dk, err
}

var errNoActive = errors.New("no active data key")

// activeTx reads the active key in tx, creating it if there is none, and
// caches it when tx commits.
func (k *Keyring) activeTx(ctx context.Context, tx *db.Tx, now time.Time) (dataKey, error) {
	dk, err := k.readActive(ctx, tx)
	if errors.Is(err, errNoActive) {
		var inserted bool
		dk, inserted, err = k.insertKey(ctx, tx, now, true)
		if err == nil && !inserted {
			// Another instance created it between our read and insert.
			dk, err = k.readActive(ctx, tx)
		}
	}
	if err != nil {
		return dataKey{}, err
	}
	tx.AfterCommit(func() { k.cacheActive(dk, now) })
	return dk, nil
}

// readActive reads and unwraps the active key through q, or returns errNoActive.
func (k *Keyring) readActive(ctx context.Context, q db.Querier) (dataKey, error) {
	var id, wrapped, masterID string
	err := q.QueryRowContext(ctx, `SELECT id, wrapped, master_key_id FROM data_keys WHERE retired_at IS NULL`).Scan(&id, &wrapped, &masterID)
	if errors.Is(err, sql.ErrNoRows) {
		return dataKey{}, errNoActive
	}
	if err != nil {
		return dataKey{}, fmt.Errorf("read active data key: %w", err)
	}
	k.mu.Lock()
	a, ok := k.keys[id]
	k.mu.Unlock()
	if ok {
		return dataKey{id: id, aead: a}, nil
	}
	a, err = k.unwrap(id, wrapped, masterID)
	if err != nil {
		return dataKey{}, err
	}
	return dataKey{id: id, aead: a}, nil
}

// insertKey makes a new active data key in tx. With yield, a concurrent
// insert of another active key wins quietly (inserted is false) instead of
// failing tx, because on PostgreSQL a failed statement aborts the caller's
// whole transaction.
func (k *Keyring) insertKey(ctx context.Context, tx *db.Tx, now time.Time, yield bool) (dk dataKey, inserted bool, err error) {
	raw := make([]byte, keySize)
	_, _ = rand.Read(raw) // never fails
	idb := make([]byte, 8)
	_, _ = rand.Read(idb)
	id := hex.EncodeToString(idb)
	m := k.currentMaster()
	wrapped, err := wrapKey(m, id, raw)
	if err != nil {
		return dataKey{}, false, fmt.Errorf("create data key: %w", err)
	}
	q := `INSERT INTO data_keys (id, wrapped, master_key_id, created_at) VALUES ($1, $2, $3, $4)`
	if yield {
		q += ` ON CONFLICT DO NOTHING`
	}
	res, err := tx.ExecContext(ctx, q, id, wrapped, m.id, db.Micros(now))
	if err != nil {
		return dataKey{}, false, fmt.Errorf("create data key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return dataKey{}, false, err
	}
	a, err := newAEAD(raw)
	if err != nil {
		return dataKey{}, false, fmt.Errorf("create data key: %w", err)
	}
	return dataKey{id: id, aead: a}, true, nil
}

// key returns data key id, from the cache or through tx (nil: a read
// connection). Keys read through tx are cached when it commits.
func (k *Keyring) key(ctx context.Context, tx *db.Tx, id string) (dataKey, error) {
	k.mu.Lock()
	a, ok := k.keys[id]
	k.mu.Unlock()
	if ok {
		return dataKey{id: id, aead: a}, nil
	}
	var q db.Querier = k.db.Read()
	if tx != nil {
		q = tx
	}
	var wrapped, masterID string
	err := q.QueryRowContext(ctx, `SELECT wrapped, master_key_id FROM data_keys WHERE id = $1`, id).Scan(&wrapped, &masterID)
	if errors.Is(err, sql.ErrNoRows) {
		return dataKey{}, fmt.Errorf("data key %s: %w", id, ErrUnknownKey)
	}
	if err != nil {
		return dataKey{}, fmt.Errorf("read data key %s: %w", id, err)
	}
	a, err = k.unwrap(id, wrapped, masterID)
	if err != nil {
		return dataKey{}, err
	}
	if tx != nil {
		tx.AfterCommit(func() { k.cacheKey(id, a) })
	} else {
		k.cacheKey(id, a)
	}
	return dataKey{id: id, aead: a}, nil
}

func (k *Keyring) cacheKey(id string, a cipher.AEAD) {
	k.mu.Lock()
	k.keys[id] = a
	k.mu.Unlock()
}

func (k *Keyring) cacheActive(dk dataKey, readAt time.Time) {
	k.mu.Lock()
	k.keys[dk.id] = dk.aead
	k.activeID, k.activeRead = dk.id, readAt
	k.mu.Unlock()
}

// forgetActive makes the next use re-read the active key id.
func (k *Keyring) forgetActive() {
	k.mu.Lock()
	k.activeID = ""
	k.mu.Unlock()
}

func (k *Keyring) currentMaster() MasterKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.master
}

// unwrap opens a stored data key with the current master key.
func (k *Keyring) unwrap(id, wrapped, masterID string) (cipher.AEAD, error) {
	raw, err := unwrapKey(k.currentMaster(), id, wrapped, masterID)
	if err != nil {
		return nil, err
	}
	return newAEAD(raw)
}

// wrapAAD binds a sealed data key to its id, so wrapped keys cannot be
// swapped between rows.
func wrapAAD(id string) []byte { return []byte("mentalspace data key " + id) }

func wrapKey(m MasterKey, id string, raw []byte) (string, error) {
	a, err := newAEAD(m.bytes())
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(a.Seal(nil, nil, raw, wrapAAD(id))), nil
}

func unwrapKey(m MasterKey, id, wrapped, masterID string) ([]byte, error) {
	if masterID != m.id {
		return nil, fmt.Errorf("data key %s is sealed by master key %q but the loaded master key is %q: %w", id, masterID, m.id, ErrWrongMaster)
	}
	sealed, err := base64.StdEncoding.DecodeString(wrapped)
	if err != nil {
		return nil, fmt.Errorf("data key %s: stored form is not base64", id)
	}
	a, err := newAEAD(m.bytes())
	if err != nil {
		return nil, err
	}
	raw, err := a.Open(nil, nil, sealed, wrapAAD(id))
	if err != nil {
		return nil, fmt.Errorf("data key %s does not open with master key %q (same id, other bytes?): %w", id, m.id, ErrWrongMaster)
	}
	if len(raw) != keySize {
		return nil, fmt.Errorf("data key %s has %d bytes, want %d", id, len(raw), keySize)
	}
	return raw, nil
}
