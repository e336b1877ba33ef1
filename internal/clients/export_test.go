package clients

// Internals that the external tests (package clients_test, which load
// practices with package gen and so cannot be inside this package) reach.
var (
	DenseAt    = &denseAt
	ExactMatch = exactMatch
	SeesAll    = seesAll
)
