//go:build charttest

package charttest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestAPIServerAcceptsEveryProfile starts a real kube-apiserver and etcd
// (built by make from scripts/kube-tools), installs the pinned Istio,
// Prometheus Operator, ECK and Gateway API CRDs, and sends every object of
// every profile to it as a server-side dry-run create with strict field
// validation: unknown or misplaced fields, invalid values and kinds without
// a CRD are all refused.
func TestAPIServerAcceptsEveryProfile(t *testing.T) {
	requireBinary(t, filepath.Join(binDir(), "kube-apiserver"), "bin/kube-apiserver")
	requireBinary(t, filepath.Join(binDir(), "etcd"), "bin/etcd")
	profiles, renders := renderAll(t)
	crds, err := CRDPaths()
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    binDir(),
		CRDInstallOptions:        envtest.CRDInstallOptions{Paths: crds, ErrorIfPathMissing: true},
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	start := time.Now()
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping kube-apiserver: %v", err)
		}
	})
	t.Logf("kube-apiserver with %d CRDs ready in %s", len(env.CRDs), time.Since(start).Round(time.Millisecond))
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	strict := &client.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict}
	for _, p := range profiles {
		t.Run(p.Name, func(t *testing.T) {
			kinds := map[string]int{}
			for _, obj := range renders[p.Name].Objects {
				o := obj.DeepCopy()
				if err := c.Create(ctx, o, strict); err != nil {
					t.Errorf("%s %s/%s refused: %v", o.GetAPIVersion(), o.GetKind(), o.GetName(), err)
					continue
				}
				kinds[o.GetKind()]++
			}
			t.Logf("accepted: %v", kinds)
		})
	}
	t.Run("refuses a broken object", func(t *testing.T) {
		bad := renders["defaults"].Find("Deployment", "shop-catalog").DeepCopy()
		if err := unstructured.SetNestedField(bad.Object, "sometimes", "spec", "template", "spec", "containers_"); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, bad, strict); err == nil {
			t.Fatal("the API server accepted an unknown field: the validation proves nothing")
		}
	})
}
