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
// content. Every field is length-prefixed so that no two different entries
// encode alike.
func computeHash(h hash.Hash, buf []byte, e *Entry) (string, []byte) {
	buf = buf[:0]
	buf = appendField(buf, e.PrevHash)
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.Seq))
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.At.UnixMicro()))
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.UserID))
	buf = appendField(buf, e.Role)
	buf = appendField(buf, string(e.Action))
	buf = appendField(buf, e.ObjectType)
	buf = appendField(buf, e.ObjectID)
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.ClientID))
	buf = appendField(buf, e.IP)
	buf = appendField(buf, e.UserAgent)
	buf = appendField(buf, string(e.Outcome))
	buf = appendField(buf, e.Detail)
	buf = appendField(buf, e.RequestID)
	h.Reset()
	h.Write(buf)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])), buf
}

func appendField(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

// ObjectIDOf formats a numeric object id.
func ObjectIDOf(id int64) string { return strconv.FormatInt(id, 10) }
