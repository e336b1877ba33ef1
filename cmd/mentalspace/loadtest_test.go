package main

import (
	"regexp"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/db"
)

var loadRequestsRE = regexp.MustCompile(`requests +[1-9][\d,]* \(`)

// TestLoadtest runs the load test for a few seconds on a newly generated
// tiny practice on each engine: no 5xx, nothing lost after the restart.
// The documented runs (docs/PERFORMANCE.md) last minutes on the small one.
func TestLoadtest(t *testing.T) {
	runChildrenAsTestBinary(t)
	eachEngine(t, func(t *testing.T, e db.Engine) {
		args := []string{"loadtest", "--engine", string(e), "--generate", "tiny", "--users", "12", "--duration", "3s", "--think", "20ms", "--dir", t.TempDir()}
		if e == db.Postgres {
			args = append(args, "--postgres-url", postgresServer(t))
		}
		in := newInstall(t, db.SQLite)
		r := in.run(t, "", args...)
		checkResult(t, r, 0, []string{"load test on " + string(e) + ": 12 users", "note draft save", "booking", "5xx            0",
			"0 unexpected answers, 0 transport errors", "lost after a restart: 0", "server memory  RSS"}, nil)
		if !loadRequestsRE.MatchString(r.stdout) {
			t.Errorf("no requests made:\n%s", r.stdout)
		}
		t.Logf("\n%s", r.stdout)
	})
}

func TestLoadtestUsage(t *testing.T) {
	in := newInstall(t, db.SQLite)
	checkResult(t, in.run(t, "", "loadtest"), 1, nil, []string{"give --source-dir"})
	checkResult(t, in.run(t, "", "loadtest", "--generate", "tiny", "--engine", "mysql"), 1, nil, []string{"--engine: sqlite or postgres"})
}
