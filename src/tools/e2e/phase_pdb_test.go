//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// testPodDisruptionBudget: through the Eviction API (as kubectl drain and
// the cluster autoscaler evict), one of the two catalog pods may go; the
// last ready one is refused with 429.
func testPodDisruptionBudget(t *testing.T, s *suite) {
	s.need(t, scaled)
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
		pdb, err := s.kube.PolicyV1().PodDisruptionBudgets(s.ns).Get(ctx, s.deployment("catalog"), metav1.GetOptions{})
		return err == nil && pdb.Status.DisruptionsAllowed == 1, nil
	})
	if err != nil {
		t.Fatalf("the catalog's PodDisruptionBudget never allowed one disruption: %v", err)
	}
	pods := s.podsOf(t, "catalog")
	if len(pods) != 2 {
		t.Fatalf("want 2 catalog pods, found %d", len(pods))
	}
	evict := func(name string) error {
		return s.kube.PolicyV1().Evictions(s.ns).Evict(t.Context(), &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns}})
	}
	if err := evict(pods[0].Name); err != nil {
		t.Fatalf("evicting %s with one disruption allowed was refused: %v", pods[0].Name, err)
	}
	t.Logf("evicted %s (one disruption allowed)", pods[0].Name)
	err = evict(pods[1].Name)
	if err == nil {
		t.Fatalf("the PodDisruptionBudget let the last ready catalog pod %s be evicted", pods[1].Name)
	}
	if !apierrors.IsTooManyRequests(err) {
		t.Fatalf("evicting the last ready pod failed for another reason: %v", err)
	}
	t.Logf("the PodDisruptionBudget refused to evict %s, the last ready catalog pod: %v", pods[1].Name, err)
	s.waitAvailable(t)
}
