//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shop-platform/shop/src/internal/accounting"
)

// testLoadGenerator is the drill in the cluster: the chart's load
// generator (loadgenerator.enabled: 10 shoppers, browse=40,search=30,buy=30,
// E2E_LOADGEN_DURATION) shops at the storefront while the release's broker
// connections are closed twice and a catalog and an order pod are deleted.
// Its report is read from its log, then the accounting: every accepted
// order stored once and final, no checkout stored twice, the stock exact.
// Request errors are printed, not failed on (the pod loss phase holds the
// rollouts to zero). And each container's memory from the kubelet's
// summary API (cgroup working set), idle before and its peak during the
// run: the figures behind the chart's requests (docs/benchmarks.md).
func testLoadGenerator(t *testing.T, s *suite) {
	s.need(t, scaled)
	idle := s.memory(t)
	s.upgrade(t, releaseState{scaled: true, loadGenerator: true})
	selector := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + s.release + ",app.kubernetes.io/component=loadgenerator"}
	deployments, err := s.kube.AppsV1().Deployments(s.ns).List(t.Context(), selector)
	if err != nil || len(deployments.Items) != 1 {
		t.Fatalf("the upgrade made %d load generator Deployments (%v), want one", len(deployments.Items), err)
	}
	lgName := deployments.Items[0].Name
	pods, err := s.kube.CoreV1().Pods(s.ns).List(t.Context(), selector)
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("the load generator has %d pods (%v), want one", len(pods.Items), err)
	}
	lg := pods.Items[0].Name
	duration := seconds("E2E_LOADGEN_DURATION", "60s")
	t.Logf("load generator %s shopping for %s", lg, duration)
	peak := map[string]int{}
	sample := func() {
		for name, mib := range s.memory(t) {
			peak[name] = max(peak[name], mib)
		}
	}
	time.Sleep(10 * time.Second)
	sample()
	s.closeBrokerConnections(t)
	for _, svc := range []string{"catalog", "order"} {
		time.Sleep(8 * time.Second)
		sample()
		pod := s.podsOf(t, svc)[0].Name
		s.deletePod(t, pod)
		t.Logf("deleted %s", pod)
	}
	time.Sleep(8 * time.Second)
	sample()
	s.closeBrokerConnections(t)

	// The run ends after its duration, once the shoppers followed their
	// last orders: the container exits with its report and is restarted,
	// so the report is the previous container's log. A load generator
	// that runs until stopped is stopped (SIGTERM, as the chart's pod
	// deletion would) when its duration is over.
	restarted := func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].RestartCount > 0
	}
	deadline := time.Now().Add(duration + 3*time.Minute)
	for p := s.pod(t, lg); !restarted(p); p = s.pod(t, lg) {
		if time.Now().After(deadline) {
			t.Fatalf("the load generator's run never finished:\n%s", tail(s.logs(t, lg, false), 5))
		}
		if time.Since(p.CreationTimestamp.Time) > duration+time.Minute {
			_, _ = s.exec(t, lg, "/probe", "stop")
		}
		sample()
		time.Sleep(5 * time.Second)
	}
	scale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: lgName, Namespace: s.ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 0}}
	if _, err := s.kube.AppsV1().Deployments(s.ns).UpdateScale(t.Context(), lgName, scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	rep := report(t, s.logs(t, lg, true))
	t.Logf("load generator: %d requests, %d errors %v, %.0f requests/s, p99 %.0f ms; orders placed %d, confirmed %d, rejected %d, unsettled %d",
		rep.Requests, rep.Errors, rep.ErrorsByKind, rep.RPS, rep.P99Ms, rep.Orders.Placed, rep.Orders.Confirmed, rep.Orders.Rejected, rep.Orders.Unsettled)
	s.account(t, accounting.Books{Accepted: rep.Orders.IDs, Emails: "shopper-" + rep.RunID + "-%", StockAtStart: s.stockAtInstall})
	var table strings.Builder
	for _, name := range slices.Sorted(maps.Keys(peak)) {
		fmt.Fprintf(&table, "\n  %-14s idle %4d  peak %4d", name, idle[name], peak[name])
	}
	t.Logf("container memory (MiB, cgroup working set; idle before the run, then the peak during it):%s", table.String())
}

func (s *suite) pod(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	p, err := s.kube.CoreV1().Pods(s.ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// memory is every container's memory in MiB, the largest of the
// release's pods per container name: the working set of its cgroup (what
// the kubelet evicts on and the limit applies to), from the kubelet's
// summary API through the API server.
func (s *suite) memory(t *testing.T) map[string]int {
	t.Helper()
	pods, err := s.kube.CoreV1().Pods(s.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + s.release})
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" {
			nodes[p.Spec.NodeName] = true
		}
	}
	out := map[string]int{}
	for node := range nodes {
		raw, err := s.kube.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", node, "proxy/stats/summary").DoRaw(context.WithoutCancel(t.Context()))
		if err != nil {
			t.Logf("the kubelet summary of %s: %v", node, err)
			continue
		}
		var summary struct {
			Pods []struct {
				PodRef     struct{ Namespace string } `json:"podRef"`
				Containers []struct {
					Name   string
					Memory struct {
						WorkingSetBytes int64 `json:"workingSetBytes"`
					}
				}
			}
		}
		if err := json.Unmarshal(raw, &summary); err != nil {
			t.Fatalf("the kubelet summary of %s: %v", node, err)
		}
		for _, p := range summary.Pods {
			if p.PodRef.Namespace != s.ns {
				continue
			}
			for _, c := range p.Containers {
				out[c.Name] = max(out[c.Name], int(c.Memory.WorkingSetBytes>>20))
			}
		}
	}
	return out
}
