//go:build charttest

package charttest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// pinnedUses is an action pinned by the full commit SHA, with the version
// that commit is tagged with in a comment: `owner/repo[/path]@<sha> # v1.2.3`.
// A tag can be moved to other code after review; a commit cannot.
var (
	pinnedUses  = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$`)
	versionNote = regexp.MustCompile(`^# v[0-9]+(\.[0-9]+)*$`)
	dockerPin   = regexp.MustCompile(`^docker://[^@\s]+@sha256:[0-9a-f]{64}$`)
)

// usesEntry is one `uses:` of a workflow or composite action, with the
// comment on its line.
type usesEntry struct {
	file, value, comment string
	line                 int
}

// WorkflowUses lists every `uses:` value of the YAML files given: jobs'
// steps, reusable-workflow jobs and composite actions' steps alike.
func WorkflowUses(files []string) ([]usesEntry, error) {
	var out []usesEntry
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					if k.Value == "uses" && v.Kind == yaml.ScalarNode {
						out = append(out, usesEntry{file: f, value: v.Value, comment: strings.TrimSpace(v.LineComment), line: v.Line})
						continue
					}
					walk(v)
				}
				return
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
	}
	return out, nil
}

// UsesViolation says why a `uses:` is not pinned, or "" when it is: a
// remote action by commit SHA with its version in a comment, a container
// image by digest; actions of this repository (./) are versioned with it.
func UsesViolation(u usesEntry) string {
	switch {
	case strings.HasPrefix(u.value, "./"):
		return ""
	case strings.HasPrefix(u.value, "docker://"):
		if dockerPin.MatchString(u.value) {
			return ""
		}
		return "a container image by tag, not by digest (docker://image@sha256:...)"
	case !pinnedUses.MatchString(u.value):
		return "not pinned by a full commit SHA (owner/repo@<40 hex digits> # vX.Y.Z): a tag or branch can be moved to other code"
	case !versionNote.MatchString(u.comment):
		return fmt.Sprintf("pinned by SHA without its version in a comment (# vX.Y.Z), got %q", u.comment)
	}
	return ""
}

// workflowFiles are the workflows and the repository's composite actions.
func workflowFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml", ".github/actions/*/action.yml", ".github/actions/*/action.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no workflow files under %s/.github", root)
	}
	return files
}

// TestWorkflowActionsPinnedBySHA refuses every `uses:` of .github that a
// tag pins: the deploy job holds the production KUBECONFIG and the release
// jobs write packages and sign with the workflow's identity, so each action
// they run must be the exact code that was reviewed.
func TestWorkflowActionsPinnedBySHA(t *testing.T) {
	uses, err := WorkflowUses(workflowFiles(t, RepoRoot()))
	if err != nil {
		t.Fatal(err)
	}
	remote := 0
	for _, u := range uses {
		if !strings.HasPrefix(u.value, "./") {
			remote++
		}
		if why := UsesViolation(u); why != "" {
			rel, _ := filepath.Rel(RepoRoot(), u.file)
			t.Errorf("%s:%d: uses: %s: %s", rel, u.line, u.value, why)
		}
	}
	if remote == 0 {
		t.Fatal("no remote action found: the walk of the workflows is broken")
	}
}

// TestUsesViolationCatchesTags feeds the check the pins it must refuse, so
// TestWorkflowActionsPinnedBySHA cannot pass by checking nothing.
func TestUsesViolationCatchesTags(t *testing.T) {
	f := writeValues(t, `jobs:
  a:
    steps:
      - uses: actions/checkout@v4.2.2
      - uses: browser-actions/setup-chrome@v1
      - uses: actions/setup-go@main
      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684
      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e268 # v4.2.3
      - uses: docker://alpine:3.22
      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3
      - uses: ./.github/actions/chart-deps
      - uses: docker://alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1
  b:
    uses: org/repo/.github/workflows/w.yml@v1
`)
	uses, err := WorkflowUses([]string{f})
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) != 10 {
		t.Fatalf("found %d uses, want 10", len(uses))
	}
	for i, u := range uses {
		refused := UsesViolation(u) != ""
		wantRefused := i < 6 || i == 9
		if refused != wantRefused {
			t.Errorf("uses: %s %s: refused=%v, want %v", u.value, u.comment, refused, wantRefused)
		}
	}
}
