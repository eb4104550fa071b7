//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/utils/ptr"

	"github.com/shop-platform/shop/src/internal/accounting"
	"github.com/shop-platform/shop/src/internal/shopper"
)

// image is the name of one of the run's images.
func (s *suite) image(name string) string { return s.imageRepo + "/" + name + ":" + s.imageTag }

// serviceURL is a service's address inside the cluster.
func (s *suite) serviceURL(svc string) string {
	port := map[string]int{"catalog": 5001, "search": 5002, "order": 5003, "frontend": 5004, "payment": 5005}[svc]
	return fmt.Sprintf("http://%s-%s:%d", s.release, svc, port)
}

// testPod is a Pod of one of the shop's own images, hardened like the
// services and labelled as the release's test client, which its
// NetworkPolicies admit; labels are added to those.
type testPod struct {
	name, image string
	command     []string
	labels      map[string]string
	// init, when set, runs first in the pod: the pod's own network is
	// admitted by the NetworkPolicy enforcer some moments after it starts,
	// so a pod that must not see a refused connection waits for it.
	init []string
	// never marks a pod that must not become a Service's endpoint: it is
	// never Ready.
	neverReady bool
}

// start creates the pod and returns once it runs.
func (s *suite) start(t *testing.T, p testPod) {
	t.Helper()
	labels := map[string]string{"app.kubernetes.io/instance": s.release, "app.kubernetes.io/component": "test", "app.kubernetes.io/name": "e2e-" + p.name}
	if p.labels != nil {
		labels = p.labels
	}
	limits := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
	c := corev1.Container{
		Name: "probe", Image: p.image, ImagePullPolicy: corev1.PullNever, Command: p.command[:1], Args: p.command[1:],
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("16Mi")}, Limits: limits},
		SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), ReadOnlyRootFilesystem: ptr.To(true),
			AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
	}
	if p.neverReady {
		c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt(1)}}}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: labels}, Spec: corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever, AutomountServiceAccountToken: ptr.To(false), TerminationGracePeriodSeconds: ptr.To[int64](60),
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65532), RunAsGroup: ptr.To[int64](65532),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{c},
	}}
	if p.init != nil {
		wait := *c.DeepCopy()
		wait.Name, wait.Command, wait.Args, wait.ReadinessProbe = "wait", p.init[:1], p.init[1:], nil
		pod.Spec.InitContainers = []corev1.Container{wait}
	}
	if _, err := s.kube.CoreV1().Pods(s.ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod = s.waitPod(t, p.name, 3*time.Minute, func(p *corev1.Pod) bool { return p.Status.Phase != corev1.PodPending })
	if pod.Status.Phase == corev1.PodFailed {
		t.Fatalf("pod %s failed to start: %+v", p.name, pod.Status.InitContainerStatuses)
	}
}

// waitPod polls the pod until done says so, failing t after limit.
func (s *suite) waitPod(t *testing.T, name string, limit time.Duration, done func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, limit, true, func(ctx context.Context) (bool, error) {
		var err error
		pod, err = s.kube.CoreV1().Pods(s.ns).Get(ctx, name, metav1.GetOptions{})
		return err == nil && done(pod), nil
	})
	if err != nil {
		t.Fatalf("pod %s: %v (phase %s)\n%s", name, err, pod.Status.Phase, s.logs(t, name, false))
	}
	return pod
}

// finish waits for a pod to end, returns its log and deletes it; it fails
// t unless the pod succeeded.
func (s *suite) finish(t *testing.T, name string, limit time.Duration) string {
	t.Helper()
	pod := s.waitPod(t, name, limit, func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	})
	log := s.logs(t, name, false)
	if pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("pod %s ended %s:\n%s", name, pod.Status.Phase, log)
	}
	s.deletePod(t, name)
	return log
}

func (s *suite) deletePod(t *testing.T, name string) {
	t.Helper()
	if err := s.kube.CoreV1().Pods(s.ns).Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// logs is a pod's log, or that of its container's previous run.
func (s *suite) logs(t *testing.T, pod string, previous bool) string {
	b, err := s.kube.CoreV1().Pods(s.ns).GetLogs(pod, &corev1.PodLogOptions{Previous: previous}).DoRaw(context.WithoutCancel(t.Context()))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// exec runs command in the pod's first container, as kubectl exec does
// (WebSocket, else SPDY), and returns what it printed; the command's
// failure is an error.
func (s *suite) exec(t *testing.T, pod string, command ...string) (string, error) {
	t.Helper()
	req := s.kube.CoreV1().RESTClient().Post().Resource("pods").Namespace(s.ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Command: command, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(s.restConfig, "POST", req.URL())
	if err != nil {
		return "", err
	}
	ws, err := remotecommand.NewWebSocketExecutor(s.restConfig, "GET", req.URL().String())
	if err != nil {
		return "", err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, httpstream.IsUpgradeFailure)
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
		return stdout.String(), fmt.Errorf("%s: %w: %s", strings.Join(command, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// startedShopping is a progress line of the load generator after its
// first requests.
var startedShopping = regexp.MustCompile(`requests [1-9]`)

// startLoop starts a request loop: a pod of the load generator's own image
// whose shoppers browse the storefront and place orders through the order
// API, none retried, until stopLoop. It returns once they shop.
func (s *suite) startLoop(t *testing.T, name string) {
	t.Helper()
	ready := []string{"/probe", "ready", "-retries=60"}
	for _, svc := range []string{"frontend", "catalog", "order"} {
		ready = append(ready, s.serviceURL(svc)+"/ready")
	}
	s.start(t, testPod{name: name, image: s.image("loadgen"), init: ready, command: []string{"/service",
		"-url=" + s.serviceURL("frontend"), "-catalog-url=" + s.serviceURL("catalog"), "-order-url=" + s.serviceURL("order"),
		"-users=2", "-duration=0", "-think=50ms", "-mix=browse=1,api=1", "-checkout-retries=0", "-progress=1s", "-json=-"}})
	s.waitPod(t, name, time.Minute, func(*corev1.Pod) bool { return startedShopping.MatchString(s.logs(t, name, false)) })
}

// stopLoop lets the loop run E2E_SETTLE more, stops it (SIGTERM through
// /probe stop: the shoppers finish, following their orders to the end),
// and checks its report: no failed request, and its books balance: every
// accepted order stored once and final, nothing stored it was not told
// about (and, with stock, the stock exact).
func (s *suite) stopLoop(t *testing.T, name string, stock map[string]int) {
	t.Helper()
	time.Sleep(seconds("E2E_SETTLE", "5s"))
	if out, err := s.exec(t, name, "/probe", "stop"); err != nil {
		t.Fatalf("stopping the request loop: %v: %s", err, out)
	}
	rep := report(t, s.finish(t, name, 3*time.Minute))
	t.Logf("request loop %s: %d requests, %d failed, %d orders accepted", name, rep.Requests, rep.Errors, rep.Orders.Placed)
	if rep.Errors != 0 || rep.Requests == 0 || rep.Orders.Placed == 0 {
		t.Fatalf("the request loop made %d requests and %d orders, and %d failed: %v", rep.Requests, rep.Orders.Placed, rep.Errors, rep.ErrorsByKind)
	}
	s.account(t, accounting.Books{Accepted: rep.Orders.IDs, Emails: "shopper-" + rep.RunID + "-%", StockAtStart: stock, AllAnswered: true})
}

// account checks books against the run's databases.
func (s *suite) account(t *testing.T, books accounting.Books) {
	t.Helper()
	books.Settle = 90 * time.Second
	books.Payments = s.database(t, "payment")
	r, err := books.Check(t.Context(), s.database(t, "order"), s.database(t, "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accounting: %s", r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

// report reads the load generator's JSON report off the end of its log.
func report(t *testing.T, log string) shopper.Report {
	t.Helper()
	var rep shopper.Report
	i := strings.LastIndex("\n"+log, "\n{\n")
	if i < 0 || json.NewDecoder(strings.NewReader(log[i:])).Decode(&rep) != nil || rep.RunID == "" {
		t.Fatalf("no report of a finished run at the end of the load generator's log:\n%s", tail(log, 20))
	}
	return rep
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
