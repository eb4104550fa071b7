//go:build charttest

package charttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestAPIServerAcceptsEveryProfile sends every object of every profile to a
// real kube-apiserver with the pinned Istio, Prometheus Operator, ECK and
// Gateway API CRDs installed (see startAPIServer), as a server-side dry-run
// create with strict field validation: unknown or misplaced fields, invalid
// values and kinds without a CRD are all refused. A namespaced object
// without a namespace gets the release's, as helm install gives it (the
// eck-elasticsearch chart leaves it out).
func TestAPIServerAcceptsEveryProfile(t *testing.T) {
	c, _ := startAPIServer(t)
	profiles, renders := renderAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	strict := &client.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict}
	for _, p := range profiles {
		t.Run(p.Name, func(t *testing.T) {
			kinds := map[string]int{}
			for _, obj := range renders[p.Name].Objects {
				o := obj.DeepCopy()
				if o.GetNamespace() == "" {
					namespaced, err := c.IsObjectNamespaced(o)
					if err != nil {
						t.Errorf("%s %s/%s: %v", o.GetAPIVersion(), o.GetKind(), o.GetName(), err)
						continue
					}
					if namespaced {
						o.SetNamespace(Namespace)
					}
				}
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

// TestSecretsKeptOnUpgrade proves the generated credentials survive an
// upgrade: with a Secret of a previous install in the cluster, rendering
// against the API server (as helm upgrade and --dry-run=server do) looks it
// up and keeps its values, while a Secret not yet there is generated.
func TestSecretsKeptOnUpgrade(t *testing.T) {
	c, kubeconfig := startAPIServer(t)
	ctx := context.Background()
	first, err := Render(ChartDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	live := first.Find("Secret", "shop-postgresql-auth").DeepCopy()
	live.SetAnnotations(map[string]string{"meta.helm.sh/release-name": ReleaseName, "meta.helm.sh/release-namespace": Namespace})
	if err := c.Create(ctx, live); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), live) })

	rel := serverDryRun(t, kubeconfig, map[string]any{})
	again := map[string]map[string]string{}
	for _, m := range releaseutil.SplitManifests(rel.Manifest) {
		_, obj, err := decode(m)
		if err != nil {
			t.Fatal(err)
		}
		if obj != nil && obj.GetKind() == "Secret" {
			data, _, _ := unstructured.NestedStringMap(obj.Object, "data")
			again[obj.GetName()] = data
		}
	}
	want, _, _ := unstructured.NestedStringMap(live.Object, "data")
	if got := again["shop-postgresql-auth"]; len(got) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("shop-postgresql-auth was regenerated on upgrade: %v, want %v", got, want)
	}
	if got := again["shop-rabbitmq-auth"]; len(got["password"]) == 0 {
		t.Errorf("shop-rabbitmq-auth, not in the cluster, was not generated: %v", got)
	}
}

// TestAutoscalingKeepsReplicas proves that turning autoscaling on never
// drops running replicas to 1 before the HPA acts: the Deployment keeps the
// live replica count (the HPA's last decision) when there is one, and starts
// at minReplicas otherwise.
func TestAutoscalingKeepsReplicas(t *testing.T) {
	c, kubeconfig := startAPIServer(t)
	ctx := context.Background()
	values := map[string]any{"catalog": map[string]any{"autoscaling": map[string]any{"enabled": true, "minReplicas": 2, "maxReplicas": 9}}}
	first, err := Render(ChartDir(), []string{writeValues(t, "catalog:\n  autoscaling:\n    enabled: true\n    minReplicas: 2\n    maxReplicas: 9\n")})
	if err != nil {
		t.Fatal(err)
	}
	d := first.Find("Deployment", "shop-catalog")
	if n, found, _ := nestedInt(d.Object, "spec", "replicas"); !found || n != 2 {
		t.Fatalf("a first install under autoscaling starts at %d replicas (set: %v), want minReplicas 2", n, found)
	}
	live := d.DeepCopy()
	if err := unstructured.SetNestedField(live.Object, int64(7), "spec", "replicas"); err != nil {
		t.Fatal(err)
	}
	live.SetAnnotations(map[string]string{"meta.helm.sh/release-name": ReleaseName, "meta.helm.sh/release-namespace": Namespace})
	live.SetLabels(map[string]string{"app.kubernetes.io/managed-by": "Helm"})
	if err := c.Create(ctx, live); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), live) })
	rel := serverDryRun(t, kubeconfig, values)
	for _, m := range releaseutil.SplitManifests(rel.Manifest) {
		_, obj, err := decode(m)
		if err != nil {
			t.Fatal(err)
		}
		if obj != nil && obj.GetKind() == "Deployment" && obj.GetName() == "shop-catalog" {
			if n, _, _ := nestedInt(obj.Object, "spec", "replicas"); n != 7 {
				t.Errorf("an upgrade sets %d replicas over the 7 running, want 7", n)
			}
			return
		}
	}
	t.Fatal("the upgrade renders no shop-catalog Deployment")
}

var (
	apiServerOnce       sync.Once
	apiServerEnv        *envtest.Environment
	apiServerClient     client.Client
	apiServerKubeconfig string
	apiServerErr        error
)

// startAPIServer starts, once for the package, a real kube-apiserver and
// etcd (SHOP_KUBE_BIN: the minicluster's or setup-envtest's, see the Makefile) with the CRDs the dependency
// charts ship and the pinned ones of scripts/crds.txt installed (see CRDs) and the namespace the chart is rendered for; TestMain stops it.
// It returns a client and a kubeconfig file for it.
func startAPIServer(t *testing.T) (client.Client, string) {
	t.Helper()
	kubeBin := toolPath(t, "SHOP_KUBE_BIN")
	requireBinary(t, filepath.Join(kubeBin, "kube-apiserver"))
	requireBinary(t, filepath.Join(kubeBin, "etcd"))
	apiServerOnce.Do(func() {
		apiServerErr = func() error {
			ch, err := LoadChart(ChartDir())
			if err != nil {
				return err
			}
			if err := MissingDependencies(ch); err != nil {
				return err
			}
			crds, err := CRDs(ch)
			if err != nil {
				return err
			}
			apiServerEnv = &envtest.Environment{
				BinaryAssetsDirectory:    kubeBin,
				CRDInstallOptions:        envtest.CRDInstallOptions{CRDs: crds},
				ControlPlaneStartTimeout: 2 * time.Minute,
				ControlPlaneStopTimeout:  time.Minute,
			}
			start := time.Now()
			cfg, err := apiServerEnv.Start()
			if err != nil {
				return fmt.Errorf("starting kube-apiserver: %w", err)
			}
			fmt.Printf("kube-apiserver with %d CRDs ready in %s\n", len(apiServerEnv.CRDs), time.Since(start).Round(time.Millisecond))
			if apiServerClient, err = client.New(cfg, client.Options{}); err != nil {
				return err
			}
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
			if err := apiServerClient.Create(context.Background(), ns); err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "charttest-kubeconfig")
			if err != nil {
				return err
			}
			apiServerKubeconfig = filepath.Join(dir, "kubeconfig")
			kc := clientcmdapi.NewConfig()
			kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
			kc.AuthInfos["envtest"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
			kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "envtest", Namespace: Namespace}
			kc.CurrentContext = "envtest"
			return clientcmd.WriteToFile(*kc, apiServerKubeconfig)
		}()
	})
	if apiServerErr != nil {
		t.Fatal(apiServerErr)
	}
	return apiServerClient, apiServerKubeconfig
}

// stopAPIServer stops what startAPIServer started, if anything.
func stopAPIServer() error {
	if apiServerKubeconfig != "" {
		_ = os.RemoveAll(filepath.Dir(apiServerKubeconfig))
	}
	if apiServerEnv == nil {
		return nil
	}
	return apiServerEnv.Stop()
}

// serverDryRun renders the chart with values as `helm install
// --dry-run=server` does: against the API server of kubeconfig, so lookup
// sees the objects a test put there.
func serverDryRun(t *testing.T, kubeconfig string, values map[string]any) *release.Release {
	t.Helper()
	cfg := new(action.Configuration)
	if err := cfg.Init(kube.GetConfig(kubeconfig, "", Namespace), Namespace, "memory", func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	ch, err := LoadChart(ChartDir())
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(cfg)
	install.DryRun = true
	install.DryRunOption = "server"
	install.ReleaseName = ReleaseName
	install.Namespace = Namespace
	rel, err := install.Run(ch, values)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}
