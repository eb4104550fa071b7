//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kubectl/pkg/describe"
)

// diagnose prints what a CI log needs to tell why a phase failed: the
// namespace's pods and the last events, and kubectl's description and the
// last logs (and those of the previous container) of every pod that is
// not ready.
func (s *suite) diagnose(t *testing.T) {
	ctx := context.WithoutCancel(t.Context())
	var b strings.Builder
	fmt.Fprintf(&b, "diagnostics of namespace %s\n", s.ns)
	pods, err := s.kube.CoreV1().Pods(s.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("listing pods: %v", err)
		return
	}
	var unready []string
	for _, p := range pods.Items {
		ready := slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
			return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
		})
		restarts := int32(0)
		for _, c := range p.Status.ContainerStatuses {
			restarts += c.RestartCount
		}
		fmt.Fprintf(&b, "  pod %-50s %-10s ready=%-5t restarts=%d\n", p.Name, p.Status.Phase, ready, restarts)
		if !ready && p.Status.Phase != corev1.PodSucceeded {
			unready = append(unready, p.Name)
		}
	}
	events, err := s.kube.CoreV1().Events(s.ns).List(ctx, metav1.ListOptions{})
	if err == nil {
		slices.SortFunc(events.Items, func(a, b corev1.Event) int { return a.LastTimestamp.Compare(b.LastTimestamp.Time) })
		b.WriteString("--- events\n")
		for _, e := range events.Items[max(0, len(events.Items)-60):] {
			fmt.Fprintf(&b, "  %s %s %s/%s %s: %s\n", e.LastTimestamp.Format("15:04:05"), e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	describer, ok := describe.DescriberFor(schema.GroupKind{Kind: "Pod"}, s.restConfig)
	for _, name := range unready {
		if ok {
			out, err := describer.Describe(s.ns, name, describe.DescriberSettings{ShowEvents: true})
			fmt.Fprintf(&b, "--- describe pod %s (%v)\n%s", name, err, tail(out, 60))
		}
		fmt.Fprintf(&b, "--- last logs of %s\n%s\n", name, tail(s.logs(t, name, false), 40))
		if prev := s.logs(t, name, true); !strings.HasPrefix(prev, "(no log") {
			fmt.Fprintf(&b, "--- previous logs of %s\n%s\n", name, tail(prev, 40))
		}
	}
	t.Log(b.String())
}
