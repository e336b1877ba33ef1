package notes

// ContentHash is the SHA-256 that Sign stores for n: over its id, client,
// template, kind, body, session details and signature (see contentHash). The
// data generator uses it to write signed notes that Verify accepts.
func ContentHash(n Note) string { return contentHash(n) }
