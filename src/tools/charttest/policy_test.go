//go:build charttest

package charttest

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestHardening checks every workload of the Shop's own charts in every
// profile against the hardening rules and every object of them for the
// recommended labels. The dependency charts' objects are theirs; of them,
// staging and prod must give the data stores requests and limits.
func TestHardening(t *testing.T) {
	profiles, renders := renderAll(t)
	for _, p := range profiles {
		t.Run(p.Name, func(t *testing.T) {
			workloads := 0
			for _, obj := range renders[p.Name].Own() {
				v, err := WorkloadViolations(obj)
				if err != nil {
					t.Fatalf("%s/%s: %v", obj.GetKind(), obj.GetName(), err)
				}
				if _, _, ok, _ := PodSpecOf(obj); ok {
					workloads++
				}
				v = append(v, LabelViolations(obj)...)
				for _, msg := range v {
					t.Errorf("%s/%s: %s", obj.GetKind(), obj.GetName(), msg)
				}
				if obj.GetKind() == "ServiceAccount" {
					if auto, found, _ := unstructured.NestedBool(obj.Object, "automountServiceAccountToken"); !found || auto {
						t.Errorf("ServiceAccount/%s mounts its token", obj.GetName())
					}
				}
			}
			if workloads < len(Services) {
				t.Errorf("only %d workloads checked", workloads)
			}
		})
	}
	for _, env := range []string{"staging", "prod"} {
		t.Run(env+" data stores", func(t *testing.T) {
			r := renders[env]
			stores := 0
			for i, obj := range r.Objects {
				if !r.FromDependency(i) || obj.GetKind() != "StatefulSet" {
					continue
				}
				stores++
				v, err := ResourceViolations(obj)
				if err != nil {
					t.Fatal(err)
				}
				for _, msg := range v {
					t.Errorf("%s/%s: %s", obj.GetKind(), obj.GetName(), msg)
				}
			}
			if stores < 2 {
				t.Errorf("%d data store StatefulSets, want PostgreSQL and RabbitMQ", stores)
			}
		})
	}
}

// TestHardeningCheckCatchesViolations breaks each rule on a compliant
// Deployment and expects the check to report it, so TestHardening cannot
// pass by checking nothing.
func TestHardeningCheckCatchesViolations(t *testing.T) {
	_, renders := renderAll(t)
	base := renders["defaults"].Find("Deployment", "shop-catalog")
	if base == nil {
		t.Fatal("no shop-catalog Deployment")
	}
	if v, _ := WorkloadViolations(base); len(v) > 0 {
		t.Fatalf("the base Deployment is not compliant: %v", v)
	}
	container := []string{"spec", "template", "spec", "containers"}
	mutate := func(f func(c map[string]any, pod map[string]any)) *unstructured.Unstructured {
		d := base.DeepCopy()
		cs, _, _ := unstructured.NestedSlice(d.Object, container...)
		c := cs[0].(map[string]any)
		pod, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "spec")
		f(c, pod)
		pod["containers"] = cs
		_ = unstructured.SetNestedMap(d.Object, pod, "spec", "template", "spec")
		return d
	}
	sc := func(c map[string]any) map[string]any { return c["securityContext"].(map[string]any) }
	cases := map[string]func(c, pod map[string]any){
		"root":                 func(c, pod map[string]any) { sc(c)["runAsNonRoot"] = false },
		"uid 0":                func(c, pod map[string]any) { sc(c)["runAsUser"] = int64(0) },
		"writable root":        func(c, pod map[string]any) { delete(sc(c), "readOnlyRootFilesystem") },
		"privilege escalation": func(c, pod map[string]any) { sc(c)["allowPrivilegeEscalation"] = true },
		"privileged":           func(c, pod map[string]any) { sc(c)["privileged"] = true },
		"capabilities kept":    func(c, pod map[string]any) { delete(sc(c), "capabilities") },
		"capability added":     func(c, pod map[string]any) { sc(c)["capabilities"].(map[string]any)["add"] = []any{"NET_ADMIN"} },
		"seccomp unconfined": func(c, pod map[string]any) {
			sc(c)["seccompProfile"] = map[string]any{"type": "Unconfined"}
		},
		"no limits":   func(c, pod map[string]any) { delete(c["resources"].(map[string]any), "limits") },
		"no requests": func(c, pod map[string]any) { delete(c["resources"].(map[string]any), "requests") },
		"no liveness": func(c, pod map[string]any) { delete(c, "livenessProbe") },
		"readiness /health": func(c, pod map[string]any) {
			c["readinessProbe"].(map[string]any)["httpGet"].(map[string]any)["path"] = "/health"
		},
		"token mounted": func(c, pod map[string]any) { pod["automountServiceAccountToken"] = true },
		"no tmp":        func(c, pod map[string]any) { c["volumeMounts"] = c["volumeMounts"].([]any)[1:] },
		"no LOG_DIR":    func(c, pod map[string]any) { c["env"] = dropEnv(c["env"].([]any), "LOG_DIR") },
		"plain password": func(c, pod map[string]any) {
			c["env"] = append(c["env"].([]any), map[string]any{"name": "DATABASE_PASSWORD", "value": "secret"})
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			v, err := WorkloadViolations(mutate(f))
			if err != nil {
				t.Fatal(err)
			}
			if len(v) == 0 {
				t.Fatalf("the check misses it")
			}
		})
	}
	t.Run("label missing", func(t *testing.T) {
		d := base.DeepCopy()
		labels := d.GetLabels()
		delete(labels, "app.kubernetes.io/part-of")
		d.SetLabels(labels)
		if v := LabelViolations(d); len(v) == 0 || !strings.Contains(v[0], "part-of") {
			t.Fatalf("the check misses it: %v", v)
		}
	})
}

func dropEnv(env []any, name string) []any {
	var out []any
	for _, e := range env {
		if e.(map[string]any)["name"] != name {
			out = append(out, e)
		}
	}
	return out
}

// containerEnv lists the variable names of a Deployment's first container.
func containerEnv(t *testing.T, d *unstructured.Unstructured) []string {
	t.Helper()
	if d == nil {
		t.Fatal("no such Deployment")
	}
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("%s has %d containers, want 1", d.GetName(), len(cs))
	}
	var names []string
	env, _, _ := unstructured.NestedSlice(cs[0].(map[string]any), "env")
	for _, e := range env {
		names = append(names, e.(map[string]any)["name"].(string))
	}
	return names
}

func nestedInt(obj map[string]any, fields ...string) (int64, bool, error) {
	v, found, err := unstructured.NestedFieldNoCopy(obj, fields...)
	if !found || err != nil {
		return 0, found, err
	}
	switch n := v.(type) {
	case int64:
		return n, true, nil
	case float64:
		return int64(n), true, nil
	}
	return 0, true, nil
}

func nestedSlice(obj map[string]any, fields ...string) ([]any, bool, error) {
	return unstructured.NestedSlice(obj, fields...)
}

func nestedStringMap(obj map[string]any, fields ...string) (map[string]string, bool, error) {
	return unstructured.NestedStringMap(obj, fields...)
}

// TestDataStoreVolumes checks that staging and prod give PostgreSQL,
// RabbitMQ and Elasticsearch persistent volumes of the sizes their files set.
func TestDataStoreVolumes(t *testing.T) {
	_, renders := renderAll(t)
	want := map[string]map[string]string{
		"staging": {"shop-postgresql": "20Gi", "shop-rabbitmq": "8Gi"},
		"prod":    {"shop-postgresql": "100Gi", "shop-rabbitmq": "20Gi"},
	}
	for env, sizes := range want {
		t.Run(env, func(t *testing.T) {
			r := renders[env]
			for name, size := range sizes {
				sts := r.Find("StatefulSet", name)
				if sts == nil {
					t.Fatalf("no StatefulSet %s", name)
				}
				claims, _, _ := unstructured.NestedSlice(sts.Object, "spec", "volumeClaimTemplates")
				if len(claims) == 0 {
					t.Errorf("%s has no volume claim", name)
					continue
				}
				got, _, _ := unstructured.NestedString(claims[0].(map[string]any), "spec", "resources", "requests", "storage")
				if got != size {
					t.Errorf("%s volume %q, want %s", name, got, size)
				}
			}
			for _, es := range r.Of("Elasticsearch") {
				sets, _, _ := unstructured.NestedSlice(es.Object, "spec", "nodeSets")
				for _, s := range sets {
					if claims, _, _ := unstructured.NestedSlice(s.(map[string]any), "volumeClaimTemplates"); len(claims) == 0 {
						t.Errorf("Elasticsearch node set %v has no volume claim", s.(map[string]any)["name"])
					}
				}
			}
		})
	}
}
