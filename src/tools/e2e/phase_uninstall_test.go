//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
)

// released are the kinds of objects the chart makes (kubectl get all and
// what the release adds), looked for after the uninstall.
var released = []schema.GroupVersionResource{
	{Version: "v1", Resource: "pods"}, {Version: "v1", Resource: "services"}, {Version: "v1", Resource: "configmaps"},
	{Version: "v1", Resource: "secrets"}, {Version: "v1", Resource: "serviceaccounts"},
	{Group: "apps", Version: "v1", Resource: "deployments"}, {Group: "apps", Version: "v1", Resource: "replicasets"},
	{Group: "apps", Version: "v1", Resource: "statefulsets"}, {Group: "batch", Version: "v1", Resource: "jobs"},
	{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
	{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
	{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}, {Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
}

// testUninstall: helm uninstall leaves nothing labelled with the release
// but the two Secrets the chart keeps on purpose (helm.sh/resource-policy:
// keep, so a reinstall keeps its token and cookie secret).
func testUninstall(t *testing.T, s *suite) {
	s.installed(t)
	uninstall := action.NewUninstall(s.helm)
	uninstall.Wait, uninstall.Timeout = true, 3*time.Minute
	if _, err := uninstall.Run(s.release); err != nil {
		t.Fatalf("helm uninstall: %v", err)
	}
	s.hasRelease, s.state = false, releaseState{}
	client := dynamic.NewForConfigOrDie(s.restConfig)
	kept := map[string]bool{"secrets/" + s.release + "-admin-token": true, "secrets/" + s.release + "-frontend-cookie": true}
	var left []string
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
		left = nil
		for _, gvr := range released {
			list, err := client.Resource(gvr).Namespace(s.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + s.release})
			if err != nil {
				return false, err
			}
			for _, o := range list.Items {
				name := gvr.Resource + "/" + o.GetName()
				if !kept[name] || o.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
					left = append(left, name)
				}
			}
		}
		return len(left) == 0, nil
	})
	if err != nil {
		t.Fatalf("left behind after helm uninstall: %v (%v)", left, err)
	}
	t.Logf("nothing left but the kept Secrets %s-admin-token and %s-frontend-cookie (helm.sh/resource-policy: keep)", s.release, s.release)
}

// deleteNamespace deletes the run's namespace and waits until it is gone.
func (s *suite) deleteNamespace(t *testing.T) {
	ctx := context.WithoutCancel(t.Context())
	if err := s.kube.CoreV1().Namespaces().Delete(ctx, s.ns, metav1.DeleteOptions{}); err != nil {
		return
	}
	err := wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := s.kube.CoreV1().Namespaces().Get(ctx, s.ns, metav1.GetOptions{})
		return err != nil, nil
	})
	if err != nil {
		t.Errorf("namespace %s still there 3 minutes after its deletion", s.ns)
	}
}
