package syncer_test

import (
	"fmt"
	"testing"
)

// BenchmarkInitialSync measures a whole initial Sansan → HubSpot sync
// against the in-process fakes (network on loopback included), reporting
// time and allocations per card and the API calls made.
func BenchmarkInitialSync(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("cards=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e := newEnv(b, n, 1)
				eng := e.engine(nil)
				b.StartTimer()
				rep, err := eng.SyncOnce(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rep.APICalls["hubspot"]), "hubspot-calls")
				b.ReportMetric(float64(rep.APICalls["sansan"]), "sansan-calls")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/card")
		})
	}
}
