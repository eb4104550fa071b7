package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// finalStage is what the Dockerfile's last stage declares.
type finalStage struct {
	From       string
	User       string
	Entrypoint []string
	Labels     map[string]string
	Copied     []string
	Exposed    []string
}

// parseDockerfile reads the last stage of the Dockerfile with ARG SERVICE
// set, joining continued lines.
func parseDockerfile(t *testing.T, service string) finalStage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	var st finalStage
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.ReplaceAll(line, "${SERVICE}", service))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "FROM":
			st = finalStage{From: strings.Fields(rest)[len(strings.Fields(rest))-1], Labels: map[string]string{}}
			if f := strings.Fields(rest); len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
				st.From = f[len(f)-3]
			}
		case "USER":
			st.User = rest
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &st.Entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %s is not exec form: %v", rest, err)
			}
		case "LABEL":
			for _, m := range regexp.MustCompile(`([\w.-]+)="([^"]*)"`).FindAllStringSubmatch(rest, -1) {
				st.Labels[m[1]] = m[2]
			}
		case "COPY":
			f := strings.Fields(rest)
			st.Copied = append(st.Copied, f[len(f)-1])
		case "EXPOSE":
			st.Exposed = append(st.Exposed, strings.Fields(rest)...)
		}
	}
	return st
}

func TestRecipeAgreesWithTheDockerfile(t *testing.T) {
	for _, service := range Services {
		t.Run(service, func(t *testing.T) {
			d := parseDockerfile(t, service)
			r, err := RecipeFor(service)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(d.From, "gcr.io/distroless/static") || !strings.HasSuffix(d.From, ":nonroot") {
				t.Errorf("the Dockerfile's base is %s; the recipe stands in for distroless static nonroot (passwd, CA certificates)", d.From)
			}
			if d.User != r.User {
				t.Errorf("USER: Dockerfile %q, recipe %q", d.User, r.User)
			}
			if !slices.Equal(d.Entrypoint, r.Entrypoint) {
				t.Errorf("ENTRYPOINT: Dockerfile %q, recipe %q", d.Entrypoint, r.Entrypoint)
			}
			if !reflect.DeepEqual(d.Labels, r.Labels) {
				t.Errorf("LABEL: Dockerfile %v, recipe %v", d.Labels, r.Labels)
			}
			if !slices.Equal(d.Copied, r.Binaries) {
				t.Errorf("files copied: Dockerfile %v, recipe %v", d.Copied, r.Binaries)
			}
			if !slices.Equal(d.Exposed, r.ExposedPorts) {
				t.Errorf("EXPOSE: Dockerfile %v, recipe %v", d.Exposed, r.ExposedPorts)
			}
		})
	}
}

// TestImageHasWhatTheRecipeSays builds an image from stand-in binaries and
// reads it back from the tarball, as containerd and kind would.
func TestImageHasWhatTheRecipeSays(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"service", "probe", "ca.crt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#"+n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "order.tar")
	build := func() string {
		err := run([]string{"-service", "order", "-bin", filepath.Join(dir, "service"), "-probe", filepath.Join(dir, "probe"),
			"-ca-certs", filepath.Join(dir, "ca.crt"), "-tag", "localhost/shop-platform/order:test", "-o", out})
		if err != nil {
			t.Fatal(err)
		}
		img, err := tarball.ImageFromPath(out, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		r, _ := RecipeFor("order")
		if cf.Config.User != r.User || !slices.Equal(cf.Config.Entrypoint, r.Entrypoint) || !reflect.DeepEqual(cf.Config.Labels, r.Labels) {
			t.Errorf("image config %+v does not follow the recipe %+v", cf.Config, r)
		}
		checkTree(t, img)
		return d.String()
	}
	if first, second := build(), build(); first != second {
		t.Errorf("two builds of the same binaries differ: %s, %s", first, second)
	}
	if err := run([]string{"-service", "cart", "-bin", "x", "-probe", "x", "-tag", "a:b", "-o", out}); err == nil || !strings.Contains(err.Error(), `unknown service "cart"`) {
		t.Errorf("an unknown service gave %v", err)
	}
}

// checkTree checks the image's files as distroless static nonroot has
// them: nonroot's home its own and private, /tmp writable by all, the
// binaries root's and executable.
func checkTree(t *testing.T, img v1.Image) {
	t.Helper()
	want := map[string]string{
		"home":         "dir 755 0",
		"home/nonroot": "dir 700 65532",
		"tmp":          "dir 1777 0",
		"service":      "file 755 0",
		"probe":        "file 755 0",
	}
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kind := map[byte]string{tar.TypeDir: "dir", tar.TypeReg: "file"}[h.Typeflag]
		name := strings.TrimSuffix(h.Name, "/")
		if w, ok := want[name]; ok {
			if got := fmt.Sprintf("%s %o %d", kind, h.Mode&0o7777, h.Uid); got != w {
				t.Errorf("%s in the image is %s, want %s", name, got, w)
			}
			delete(want, name)
		}
	}
	for name := range want {
		t.Errorf("the image has no %s", name)
	}
}
