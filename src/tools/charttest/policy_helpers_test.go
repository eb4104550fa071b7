//go:build charttest

package charttest

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// RecommendedLabels must be on every object the Shop's own charts render.
var RecommendedLabels = []string{
	"app.kubernetes.io/name",
	"app.kubernetes.io/instance",
	"app.kubernetes.io/version",
	"app.kubernetes.io/part-of",
	"app.kubernetes.io/managed-by",
	"helm.sh/chart",
}

// PodSpecOf returns the pod spec of a workload (Deployment, StatefulSet,
// DaemonSet, Job, Pod), whether it is a long-running service, and false for
// any other kind.
func PodSpecOf(obj *unstructured.Unstructured) (spec *corev1.PodSpec, service bool, ok bool, err error) {
	conv := runtime.DefaultUnstructuredConverter
	switch obj.GetKind() {
	case "Deployment":
		var d appsv1.Deployment
		err = conv.FromUnstructured(obj.Object, &d)
		return &d.Spec.Template.Spec, true, true, err
	case "StatefulSet":
		var s appsv1.StatefulSet
		err = conv.FromUnstructured(obj.Object, &s)
		return &s.Spec.Template.Spec, true, true, err
	case "DaemonSet":
		var s appsv1.DaemonSet
		err = conv.FromUnstructured(obj.Object, &s)
		return &s.Spec.Template.Spec, true, true, err
	case "Job":
		var j batchv1.Job
		err = conv.FromUnstructured(obj.Object, &j)
		return &j.Spec.Template.Spec, false, true, err
	case "Pod":
		var p corev1.Pod
		err = conv.FromUnstructured(obj.Object, &p)
		return &p.Spec, false, true, err
	}
	return nil, false, false, nil
}

// WorkloadViolations lists every hardening rule of the design contract that
// a workload breaks: non-root, read-only root filesystem with emptyDirs for
// /tmp and LOG_DIR, no privilege escalation, all capabilities dropped,
// seccomp RuntimeDefault, requests and limits, no service account token,
// and for services liveness on /health and readiness on /ready.
func WorkloadViolations(obj *unstructured.Unstructured) ([]string, error) {
	spec, service, ok, err := PodSpecOf(obj)
	if err != nil || !ok {
		return nil, err
	}
	var v []string
	add := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		add("automountServiceAccountToken is not false")
	}
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	emptyDirs := map[string]bool{}
	for _, vol := range spec.Volumes {
		if vol.EmptyDir != nil {
			emptyDirs[vol.Name] = true
		}
	}
	containers := append(slices.Clone(spec.InitContainers), spec.Containers...)
	if len(containers) == 0 {
		add("no containers")
	}
	for _, c := range containers {
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		nonRoot := sc.RunAsNonRoot
		if nonRoot == nil {
			nonRoot = psc.RunAsNonRoot
		}
		if nonRoot == nil || !*nonRoot {
			add("container %s: runAsNonRoot is not true", c.Name)
		}
		if uid := firstInt64(sc.RunAsUser, psc.RunAsUser); uid != nil && *uid == 0 {
			add("container %s: runs as uid 0", c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			add("container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			add("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			add("container %s: privileged", c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			add("container %s: capabilities do not drop ALL", c.Name)
		} else if len(sc.Capabilities.Add) > 0 {
			add("container %s: adds capabilities %v", c.Name, sc.Capabilities.Add)
		}
		seccomp := sc.SeccompProfile
		if seccomp == nil {
			seccomp = psc.SeccompProfile
		}
		if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			add("container %s: seccomp profile is not RuntimeDefault", c.Name)
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[res]; !ok {
				add("container %s: no %s request", c.Name, res)
			}
			if _, ok := c.Resources.Limits[res]; !ok {
				add("container %s: no %s limit", c.Name, res)
			}
		}
		mounts := map[string]string{}
		for _, m := range c.VolumeMounts {
			mounts[m.MountPath] = m.Name
		}
		if !emptyDirs[mounts["/tmp"]] {
			add("container %s: /tmp is not an emptyDir", c.Name)
		}
		if !service {
			continue
		}
		if !probeOn(c.LivenessProbe, "/health") {
			add("container %s: liveness probe is not an HTTP GET of /health", c.Name)
		}
		if !probeOn(c.ReadinessProbe, "/ready") {
			add("container %s: readiness probe is not an HTTP GET of /ready", c.Name)
		}
		logDir := ""
		for _, e := range c.Env {
			if e.Name == "LOG_DIR" {
				logDir = e.Value
			}
		}
		if logDir == "" || !emptyDirs[mounts[logDir]] {
			add("container %s: LOG_DIR (%q) is not the mount path of an emptyDir", c.Name, logDir)
		}
		for _, e := range c.Env {
			if isCredential(e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				add("container %s: %s is not read from a Secret", c.Name, e.Name)
			}
		}
	}
	return v, nil
}

// isCredential tells the variables that must come from a Secret.
func isCredential(name string) bool {
	for _, s := range []string{"PASSWORD", "TOKEN", "SECRET"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

func probeOn(p *corev1.Probe, path string) bool {
	return p != nil && p.HTTPGet != nil && p.HTTPGet.Path == path
}

func firstInt64(vals ...*int64) *int64 {
	for _, v := range vals {
		if v != nil {
			return v
		}
	}
	return nil
}

// LabelViolations lists the recommended labels an object lacks, on itself
// and on its pod template. A pod template must not carry helm.sh/chart: it
// changes with every chart version and would restart every pod on a chart
// upgrade that changes nothing in them.
func LabelViolations(obj *unstructured.Unstructured) []string {
	var v []string
	for _, l := range RecommendedLabels {
		if obj.GetLabels()[l] == "" {
			v = append(v, fmt.Sprintf("metadata has no %s label", l))
		}
	}
	if tmpl, found, _ := unstructured.NestedStringMap(obj.Object, "spec", "template", "metadata", "labels"); found {
		for _, l := range RecommendedLabels {
			switch {
			case l == "helm.sh/chart" && tmpl[l] != "":
				v = append(v, "pod template has the helm.sh/chart label")
			case l != "helm.sh/chart" && tmpl[l] == "":
				v = append(v, fmt.Sprintf("pod template has no %s label", l))
			}
		}
	}
	return v
}

// ResourceViolations lists the containers of a workload without CPU and
// memory requests and limits: the rule the dependency charts' workloads
// (the data stores) must keep in staging and prod.
func ResourceViolations(obj *unstructured.Unstructured) ([]string, error) {
	spec, _, ok, err := PodSpecOf(obj)
	if err != nil || !ok {
		return nil, err
	}
	var v []string
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[res]; !ok {
				v = append(v, fmt.Sprintf("container %s: no %s request", c.Name, res))
			}
			if _, ok := c.Resources.Limits[res]; !ok {
				v = append(v, fmt.Sprintf("container %s: no %s limit", c.Name, res))
			}
		}
	}
	return v, nil
}
