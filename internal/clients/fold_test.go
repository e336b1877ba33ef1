package clients_test

import (
	"sync"
	"testing"

	"github.com/mentalspace/mentalspace/internal/clients"
)

// TestFoldConcurrent folds names from many goroutines at once, as
// concurrent searches and registrations do. The load test found searches
// failing with "slice bounds out of range" when Fold shared one
// transform.Chain, which keeps buffers between calls.
func TestFoldConcurrent(t *testing.T) {
	names := map[string]string{"José  Núñez": "jose nunez", "Zoë Bräutigam-Ødegård": "zoe brautigam-ødegard", "Kréta": "kreta",
		"ANDERSON": "anderson", "Łukasz Żółć": "łukasz zołc", "Séverine": "severine"}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 2000 {
				for in, want := range names {
					if got := clients.Fold(in); got != want {
						t.Errorf("Fold(%q) = %q, want %q", in, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
