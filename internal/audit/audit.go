// Package audit is MentalSpace's tamper-evident audit log. Every service
// writes an entry in the same transaction as the change it records; each
// entry carries a SHA-256 over its content and the previous entry's hash, so
// `mentalspace audit verify` can name the first entry that was altered,
// removed or reordered. Entries never carry PHI values: ids and field names only.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"time"
)

// Action is what was done, after ASTM E2147.
type Action string

// The actions.
const (
	ActionCreate   Action = "create"
	ActionRead     Action = "read"
	ActionUpdate   Action = "update"
	ActionDelete   Action = "delete"
	ActionPrint    Action = "print"
	ActionExport   Action = "export"
	ActionDisclose Action = "disclose"
	ActionLogin    Action = "login"
	ActionLogout   Action = "logout"
)

// Actions lists every action, for filters.
var Actions = []Action{ActionCreate, ActionRead, ActionUpdate, ActionDelete, ActionPrint, ActionExport,
	ActionDisclose, ActionLogin, ActionLogout}

// Outcome is how it ended.
type Outcome string

// The outcomes.
const (
	Success Outcome = "success"
	Denied  Outcome = "denied"
	Failed  Outcome = "failed"
)

// Entry is one line of the audit log.
type Entry struct {
	Seq        int64
	At         time.Time
	UserID     int64 // 0 when nobody is signed in (a failed login)
	Role       string
	Action     Action
	ObjectType string
	ObjectID   string
	ClientID   int64
	IP         string
	UserAgent  string
	Outcome    Outcome
	// Detail is a short machine-written note: field names changed, a reason
	// code. Never values of client data.
	Detail    string
	RequestID string
	PrevHash  string
	Hash      string

	// UserName is filled by queries for display; it is not part of the hash.
	UserName string
}

// computeHash returns the hex SHA-256 over the previous hash and the entry's
// content (see hashed).
func computeHash(h hash.Hash, buf []byte, e *Entry) (string, []byte) {
	c := hashed[string]{PrevHash: e.PrevHash, Seq: e.Seq, At: e.At.UnixMicro(), UserID: e.UserID, Role: e.Role,
		Action: string(e.Action), ObjectType: e.ObjectType, ObjectID: e.ObjectID, ClientID: e.ClientID, IP: e.IP,
		UserAgent: e.UserAgent, Outcome: string(e.Outcome), Detail: e.Detail, RequestID: e.RequestID}
	buf = c.append(buf[:0])
	h.Reset()
	h.Write(buf)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])), buf
}

// hashed is what an entry's hash covers, as strings when written and as
// the driver's bytes when verified, so that verify can hash rows without
// copying them into strings first. At is in microseconds, as stored.
type hashed[T ~string | ~[]byte] struct {
	PrevHash             T
	Seq, At, UserID      int64
	Role, Action         T
	ObjectType, ObjectID T
	ClientID             int64
	IP, UserAgent        T
	Outcome, Detail      T
	RequestID            T
}

// append appends the hash input: the fields in this fixed order, every
// string length-prefixed so that no two different entries encode alike.
// The format is stored in every entry's hash: never change it.
func (c *hashed[T]) append(buf []byte) []byte {
	buf = appendField(buf, c.PrevHash)
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.Seq))
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.At))
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.UserID))
	buf = appendField(buf, c.Role)
	buf = appendField(buf, c.Action)
	buf = appendField(buf, c.ObjectType)
	buf = appendField(buf, c.ObjectID)
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.ClientID))
	buf = appendField(buf, c.IP)
	buf = appendField(buf, c.UserAgent)
	buf = appendField(buf, c.Outcome)
	buf = appendField(buf, c.Detail)
	return appendField(buf, c.RequestID)
}

func appendField[T ~string | ~[]byte](buf []byte, s T) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

// ObjectIDOf formats a numeric object id.
func ObjectIDOf(id int64) string { return strconv.FormatInt(id, 10) }
