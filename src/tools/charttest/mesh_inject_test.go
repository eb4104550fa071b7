//go:build charttest

package charttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"
)

// injectorFiles are the three inputs of `istioctl kube-inject`, as istiod
// holds them: ConfigMap istio-sidecar-injector's data.config (the
// templates) and data.values, and ConfigMap istio's data.mesh.
type injectorFiles struct {
	config, values, mesh string
}

// istioInjector runs `istioctl manifest generate` with the mesh settings of
// istio/values-istiod.yaml (the values istio/install.sh gives istiod's
// chart: meshConfig, the injector's and pilot's values), and writes the
// injector's ConfigMaps out of it: the sidecars the tests inject are the
// ones istiod would inject with the project's settings.
func istioInjector(t *testing.T, istioctl string) injectorFiles {
	t.Helper()
	dir := t.TempDir()
	spec := map[string]any{"values": map[string]any{}}
	for key, v := range istiodValues(t) {
		if key == "meshConfig" {
			spec["meshConfig"] = v
			continue
		}
		spec["values"].(map[string]any)[key] = v
	}
	operator, err := sigsyaml.Marshal(map[string]any{"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator", "spec": spec})
	if err != nil {
		t.Fatal(err)
	}
	iop := filepath.Join(dir, "istio-operator.yaml")
	if err := os.WriteFile(iop, operator, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(istioctl, "manifest", "generate", "-f", iop).Output()
	if err != nil {
		t.Fatalf("istioctl manifest generate: %v", stderrOf(err))
	}
	files := injectorFiles{config: filepath.Join(dir, "inject-config.yaml"), values: filepath.Join(dir, "inject-values.json"), mesh: filepath.Join(dir, "mesh.yaml")}
	found := map[string]bool{}
	for _, obj := range decodeAll(t, out) {
		if obj.GetKind() != "ConfigMap" {
			continue
		}
		data, _, _ := unstructured.NestedStringMap(obj.Object, "data")
		switch obj.GetName() {
		case "istio-sidecar-injector":
			writeFile(t, files.config, data["config"])
			writeFile(t, files.values, data["values"])
			found[obj.GetName()] = data["config"] != "" && data["values"] != ""
		case "istio":
			writeFile(t, files.mesh, data["mesh"])
			found[obj.GetName()] = data["mesh"] != ""
		}
	}
	if !found["istio-sidecar-injector"] || !found["istio"] {
		t.Fatalf("istioctl manifest generate gave no ConfigMaps istio-sidecar-injector and istio with data: %v", found)
	}
	return files
}

// istiodValues are the values istio/install.sh gives istiod's chart
// (istio/values-istiod.yaml).
func istiodValues(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(RepoRoot(), "istio", "values-istiod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var istiod map[string]any
	if err := sigsyaml.Unmarshal(raw, &istiod); err != nil {
		t.Fatal(err)
	}
	return istiod
}

// injectSidecars runs `istioctl kube-inject` over the profile's service
// Deployments (kubeInject) and returns the injected Deployments.
func injectSidecars(t *testing.T, istioctl, kubeconfig string, files injectorFiles, r *Rendered) []*appsv1.Deployment {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, svc := range Services {
		d := r.Find("Deployment", ReleaseName+"-"+svc)
		if d == nil {
			t.Fatalf("the profile renders no Deployment %s-%s", ReleaseName, svc)
		}
		objs = append(objs, d)
	}
	var injected []*appsv1.Deployment
	for _, obj := range kubeInject(t, istioctl, kubeconfig, files, objs) {
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &d); err != nil {
			t.Fatal(err)
		}
		if !hasContainer(d.Spec.Template.Spec, "istio-proxy") {
			t.Fatalf("istioctl kube-inject gave %s no istio-proxy container", d.Name)
		}
		injected = append(injected, &d)
	}
	return injected
}

// kubeInject runs `istioctl kube-inject` over objects with the injector's
// files, against the API server of kubeconfig (kube-inject will not run
// without one), and returns what it wrote, one object for each given.
func kubeInject(t *testing.T, istioctl, kubeconfig string, files injectorFiles, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	var in bytes.Buffer
	for _, obj := range objs {
		b, err := sigsyaml.Marshal(obj.Object)
		if err != nil {
			t.Fatal(err)
		}
		in.WriteString("---\n")
		in.Write(b)
	}
	manifests := filepath.Join(t.TempDir(), "manifests.yaml")
	writeFile(t, manifests, in.String())
	cmd := exec.Command(istioctl, "kube-inject", "--kubeconfig", kubeconfig,
		"--injectConfigFile", files.config, "--valuesFile", files.values, "--meshConfigFile", files.mesh,
		"--filename", manifests)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("istioctl kube-inject: %v", stderrOf(err))
	}
	injected := decodeAll(t, out)
	if len(injected) != len(objs) {
		t.Fatalf("istioctl kube-inject gave %d objects for %d", len(injected), len(objs))
	}
	return injected
}

// runPods creates in the API server the pods a ReplicaSet would make of each
// Deployment (spec.replicas of them, with the template's labels,
// annotations and spec) and gives each the status a kubelet reports for a
// running pod: phase Running and an address of its own. There is no
// scheduler or kubelet: what the pods are is all Prometheus' discovery
// reads. It returns them by name.
func runPods(t *testing.T, c client.Client, deployments []*appsv1.Deployment) map[string]*corev1.Pod {
	t.Helper()
	ctx := context.Background()
	pods := map[string]*corev1.Pod{}
	for i, d := range deployments {
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		for n := range replicas {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{
					Name:        fmt.Sprintf("%s-%d", d.Name, n),
					Namespace:   d.Namespace,
					Labels:      d.Spec.Template.Labels,
					Annotations: d.Spec.Template.Annotations,
				},
				Spec: *d.Spec.Template.Spec.DeepCopy(),
			}
			if err := c.Create(ctx, pod); err != nil {
				t.Fatalf("the API server refused the injected pod %s: %v", pod.Name, err)
			}
			t.Cleanup(func() { _ = c.Delete(context.Background(), pod) })
			ip := fmt.Sprintf("10.244.%d.%d", i+1, n+10)
			pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}
			if err := c.Status().Update(ctx, pod); err != nil {
				t.Fatalf("status of pod %s: %v", pod.Name, err)
			}
			pods[pod.Name] = pod
		}
	}
	return pods
}

// hasContainer tells whether a pod spec has a container of that name.
func hasContainer(spec corev1.PodSpec, name string) bool {
	for _, c := range spec.Containers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// decodeAll parses a multi-document YAML stream into objects.
func decodeAll(t *testing.T, stream []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(stream), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatal(err)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// writeFile writes a file a test made, failing the test on error.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stderrOf is what a failed command wrote to standard error, with its error.
func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return fmt.Sprintf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err.Error()
}
