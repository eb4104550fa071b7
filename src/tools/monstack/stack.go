// Package monstack installs the real Prometheus Operator stack the shop is
// checked under: kube-prometheus-stack in a cluster as a platform team runs
// it (a release and a namespace of its own), found again with clients of
// its Kubernetes objects, its Prometheus and its Alertmanager. make
// monitoring-stack installs it for a developer; make e2e's Monitoring phase
// (src/tools/e2e, monitoring_*_test.go) installs it and asks that
// Prometheus and Alertmanager whether the shop's monitoring works there.
// docs/monitoring-stack.md says how it is built and what it proves.
package monstack

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	amclient "github.com/prometheus/alertmanager/api/v2/client"
	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shop-platform/shop/src/tools/proc"
)

// StackValues are the kube-prometheus-stack values the stack is installed
// with (values/kube-prometheus-stack.yaml, each value explained there).
//
//go:embed values/kube-prometheus-stack.yaml
var StackValues []byte

// ShopValues are the shop chart's values that make this stack scrape it:
// monitoring on, its monitors and rules labelled for the stack's selectors.
// The e2e suite adds them to its install (helm -f).
//
//go:embed values/shop.yaml
var ShopValues []byte

// The stack as the checks expect it: kube-prometheus-stack's release kps
// selects the monitors and rules labelled release: kps (ShopValues).
const (
	DefaultNamespace = "monitoring"
	DefaultRelease   = "kps"
)

// Config says where the stack goes and with what it is installed.
type Config struct {
	// Helm is the helm 3 CLI (SHOP_HELM3, or helm on PATH).
	Helm string
	// Chart is the kube-prometheus-stack 88.5.3 archive (SHOP_KPS_CHART).
	Chart string
	// Kubeconfig is the cluster's (KUBECONFIG).
	Kubeconfig string
	// Namespace and Release of the stack.
	Namespace, Release string
}

// ConfigFromEnv is the configuration the Makefile passes: SHOP_HELM3,
// SHOP_KPS_CHART and KUBECONFIG.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		Helm:       cmp.Or(os.Getenv("SHOP_HELM3"), "helm"),
		Chart:      os.Getenv("SHOP_KPS_CHART"),
		Kubeconfig: os.Getenv("KUBECONFIG"),
		Namespace:  DefaultNamespace,
		Release:    DefaultRelease,
	}
	if _, err := exec.LookPath(cfg.Helm); err != nil {
		return cfg, fmt.Errorf("helm (SHOP_HELM3; make monitoring-stack builds it): %w", err)
	}
	if cfg.Chart == "" {
		return cfg, errors.New("SHOP_KPS_CHART names no kube-prometheus-stack archive (the Makefile sets it from CHART_DEPS)")
	}
	if _, err := os.Stat(cfg.Chart); err != nil {
		return cfg, fmt.Errorf("kube-prometheus-stack archive: %w", err)
	}
	if cfg.Kubeconfig == "" {
		return cfg, errors.New("KUBECONFIG is not set (source /var/lib/minicluster/env)")
	}
	return cfg, nil
}

// Stack is a running kube-prometheus-stack and its clients.
type Stack struct {
	Config
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// PrometheusURL and AlertmanagerURL are their Services' ClusterIP
	// addresses, which answer from the host in the local cluster.
	PrometheusURL, AlertmanagerURL string
	// Prometheus and Alertmanager are their APIs: client_golang's client,
	// and Alertmanager's own generated client of its API v2.
	Prometheus   promv1.API
	Alertmanager *amclient.AlertmanagerAPI
}

// The operator's resources, read with the dynamic client.
var (
	prometheusGVR   = schema.GroupVersionResource{Group: "monitoring.coreos.com", Version: "v1", Resource: "prometheuses"}
	alertmanagerGVR = schema.GroupVersionResource{Group: "monitoring.coreos.com", Version: "v1", Resource: "alertmanagers"}
)

// Install installs or upgrades the stack (helm upgrade --install, so it is
// idempotent: a second run with the same values changes nothing and restarts
// no pod) and waits until the operator reports its Prometheus and
// Alertmanager available and Prometheus has found Alertmanager. It reports
// whether the release was new.
func Install(ctx context.Context, cfg Config, logf func(string, ...any)) (*Stack, bool, error) {
	existed, err := releaseExists(ctx, cfg)
	if err != nil {
		return nil, false, err
	}
	start := time.Now()
	// --values - is helm's way to read the values from its standard input.
	if _, err := helm(ctx, cfg, StackValues, "upgrade", "--install", cfg.Release, cfg.Chart, "--namespace", cfg.Namespace,
		"--create-namespace", "--values", "-", "--wait", "--timeout", "5m"); err != nil {
		return nil, false, err
	}
	logf("helm upgrade --install %s (%s) in namespace %s: %s", cfg.Release, filepath.Base(cfg.Chart), cfg.Namespace, time.Since(start).Round(time.Second))
	s, err := Connect(ctx, cfg)
	if err != nil {
		return nil, !existed, err
	}
	if err := s.waitAvailable(ctx, 5*time.Minute); err != nil {
		return s, !existed, err
	}
	logf("Prometheus %s and Alertmanager %s are available (%s after the install began)", s.PrometheusURL, s.AlertmanagerURL, time.Since(start).Round(time.Second))
	return s, !existed, nil
}

// Uninstall removes the release and its namespace. The CRDs stay, as Helm
// leaves every chart's CRDs: deleting them would delete every monitor and
// rule of every namespace (docs/monitoring-stack.md says how to remove them).
func Uninstall(ctx context.Context, cfg Config) error {
	existed, err := releaseExists(ctx, cfg)
	if err != nil {
		return err
	}
	if existed {
		if _, err := helm(ctx, cfg, nil, "uninstall", cfg.Release, "--namespace", cfg.Namespace, "--wait", "--timeout", "5m"); err != nil {
			return err
		}
	}
	kube, _, err := clients(cfg)
	if err != nil {
		return err
	}
	return deleteNamespace(ctx, kube, cfg.Namespace)
}

// deleteNamespace deletes a namespace and waits until it is gone.
func deleteNamespace(ctx context.Context, kube kubernetes.Interface, name string) error {
	err := kube.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting namespace %s: %w", name, err)
	}
	return Poll(ctx, 3*time.Minute, func() (string, error) {
		_, err := kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "namespace " + name + " is still terminating", err
	})
}

// Connect finds the installed stack: its Prometheus and Alertmanager
// Services in the namespace.
func Connect(ctx context.Context, cfg Config) (*Stack, error) {
	kube, dyn, err := clients(cfg)
	if err != nil {
		return nil, err
	}
	s := &Stack{Config: cfg, Kube: kube, Dynamic: dyn}
	if s.PrometheusURL, err = s.serviceURL(ctx, "prometheus"); err != nil {
		return nil, err
	}
	if s.AlertmanagerURL, err = s.serviceURL(ctx, "alertmanager"); err != nil {
		return nil, err
	}
	prom, err := promapi.NewClient(promapi.Config{Address: s.PrometheusURL})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", s.PrometheusURL, err)
	}
	s.Prometheus = promv1.NewAPI(prom)
	am, err := url.Parse(s.AlertmanagerURL)
	if err != nil {
		return nil, fmt.Errorf("alertmanager URL %q: %w", s.AlertmanagerURL, err)
	}
	s.Alertmanager = amclient.NewHTTPClientWithConfig(strfmt.Default,
		amclient.DefaultTransportConfig().WithHost(am.Host).WithSchemes([]string{am.Scheme}))
	return s, nil
}

func clients(cfg Config) (kubernetes.Interface, dynamic.Interface, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
	if err != nil {
		return nil, nil, fmt.Errorf("reading KUBECONFIG %s: %w", cfg.Kubeconfig, err)
	}
	rc.Timeout = 30 * time.Second
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	return kube, dyn, err
}

// serviceURL is the ClusterIP address of the chart's Service for component
// (prometheus or alertmanager), on its web port.
func (s *Stack) serviceURL(ctx context.Context, component string) (string, error) {
	selector := fmt.Sprintf("release=%s,app=kube-prometheus-stack-%s", s.Release, component)
	svcs, err := s.Kube.CoreV1().Services(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return "", fmt.Errorf("listing the %s Service: %w", component, err)
	}
	if len(svcs.Items) != 1 {
		return "", fmt.Errorf("want one Service %s in namespace %s, found %d (is the stack installed? make monitoring-stack)", selector, s.Namespace, len(svcs.Items))
	}
	svc := svcs.Items[0]
	for _, p := range svc.Spec.Ports {
		if p.Name == "http-web" && svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone {
			return fmt.Sprintf("http://%s:%d", svc.Spec.ClusterIP, p.Port), nil
		}
	}
	return "", fmt.Errorf("service %s/%s has no ClusterIP port http-web", s.Namespace, svc.Name)
}

// waitAvailable waits for the operator's verdict on its Prometheus and
// Alertmanager (condition Available), then for Prometheus to answer and to
// have found Alertmanager. A pod whose image is not in the node fails it at
// once, naming the image.
func (s *Stack) waitAvailable(ctx context.Context, timeout time.Duration) error {
	return Poll(ctx, timeout, func() (string, error) {
		msg, err := s.imageProblems(ctx)
		if err != nil {
			return "", err
		}
		if msg != "" {
			return "", errors.New(msg)
		}
		for _, gvr := range []schema.GroupVersionResource{prometheusGVR, alertmanagerGVR} {
			list, err := s.Dynamic.Resource(gvr).Namespace(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "release=" + s.Release})
			if err != nil {
				return "", fmt.Errorf("listing %s: %w", gvr.Resource, err)
			}
			if len(list.Items) != 1 {
				return fmt.Sprintf("want one %s of release %s, found %d", gvr.Resource, s.Release, len(list.Items)), nil
			}
			if status, msg := condition(list.Items[0].Object, "Available"); status != "True" {
				return fmt.Sprintf("%s %s is not Available (%s: %s)", gvr.Resource, list.Items[0].GetName(), status, msg), nil
			}
		}
		ams, err := s.Prometheus.AlertManagers(ctx)
		if err != nil {
			return "Prometheus does not answer yet: " + err.Error(), nil
		}
		if len(ams.Active) == 0 {
			return "Prometheus has not found Alertmanager yet", nil
		}
		return "", nil
	})
}

// imageProblems names the stack's containers waiting for an image the node
// does not have: nothing can be pulled here, so waiting longer cannot help.
func (s *Stack) imageProblems(ctx context.Context) (string, error) {
	pods, err := s.Kube.CoreV1().Pods(s.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("listing the stack's pods: %w", err)
	}
	var missing []string
	for _, p := range pods.Items {
		for _, c := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			if w := c.State.Waiting; w != nil && slices.Contains([]string{"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull"}, w.Reason) {
				missing = append(missing, fmt.Sprintf("%s/%s needs %s (%s)", p.Name, c.Name, c.Image, w.Reason))
			}
		}
	}
	if len(missing) == 0 {
		return "", nil
	}
	return "images missing from the node (make monitoring-images imports them): " + strings.Join(missing, "; "), nil
}

// condition is the status and message of the named condition in an
// object's status.
func condition(obj map[string]any, name string) (status, message string) {
	conds, _, _ := unstructured.NestedSlice(obj, "status", "conditions")
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == name {
			return fmt.Sprint(m["status"]), fmt.Sprint(m["message"])
		}
	}
	return "Unknown", "no " + name + " condition yet"
}

func releaseExists(ctx context.Context, cfg Config) (bool, error) {
	out, err := helm(ctx, cfg, nil, "list", "--namespace", cfg.Namespace, "--filter", "^"+cfg.Release+"$", "--short")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out) == cfg.Release, nil
}

// helm runs the helm CLI against the cluster with stdin as its input.
func helm(ctx context.Context, cfg Config, stdin []byte, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, cfg.Helm, append(args, "--kubeconfig", cfg.Kubeconfig)...)
	cmd.Stdin = bytes.NewReader(stdin)
	return proc.Output(cmd)
}

// Poll runs check every two seconds until it reports nothing, or fails with
// its last report after timeout. A check's error ends the wait at once.
func Poll(ctx context.Context, timeout time.Duration, check func() (string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		msg, err := check()
		if err != nil {
			return err
		}
		if msg == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %s: %s", timeout, msg)
		case <-time.After(2 * time.Second):
		}
	}
}
