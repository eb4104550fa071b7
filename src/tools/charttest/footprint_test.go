//go:build charttest

package charttest

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

// The chart's default requests are set from the measured footprint
// (docs/benchmarks.md, "Footprint"), aiming at no more than 64 MiB per
// service on average (256 MiB for the four), so the shop fits a small
// namespace quota; every limit leaves room above its request.
func TestDefaultMemoryRequestsFitTheFootprint(t *testing.T) {
	r, err := Render(ChartDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	total := resource.MustParse("0")
	for _, svc := range Services {
		d := r.Find("Deployment", ReleaseName+"-"+svc)
		if d == nil {
			t.Fatalf("no Deployment %s-%s", ReleaseName, svc)
		}
		spec, _, _, err := PodSpecOf(d)
		if err != nil {
			t.Fatal(err)
		}
		res := spec.Containers[0].Resources
		req, lim := res.Requests.Memory(), res.Limits.Memory()
		if req.IsZero() || lim.Cmp(*req) <= 0 {
			t.Errorf("%s: memory request %s, limit %s: want a request and a limit above it", svc, req, lim)
		}
		total.Add(*req)
	}
	limit := resource.MustParse("64Mi")
	limit.Mul(int64(len(Services)))
	if total.Cmp(limit) > 0 {
		t.Errorf("the %d services request %s of memory, more than %s", len(Services), total.String(), limit.String())
	}
	t.Logf("the %d services request %s of memory", len(Services), total.String())
}
