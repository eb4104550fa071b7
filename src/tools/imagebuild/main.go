// Command imagebuild builds a service's OCI image as a tarball without a
// container engine or a registry: scratch, the static binaries, the nonroot
// user and the CA certificates, with the user, entrypoint and labels of the
// repository's Dockerfile (recipe.go; recipe_test.go keeps the two in step).
// The tarball loads with `ctr images import` (containerd, namespace k8s.io)
// and `kind load image-archive`. Layers and times are fixed, so the same
// binaries give the same image digest.
//
//	imagebuild -service catalog -bin bin/linux/catalog -probe bin/linux/probe \
//	  -tag localhost/shop-platform/catalog:dev -o catalog.tar
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	service := fs.String("service", "", "service: catalog, search, order or frontend")
	bin := fs.String("bin", "", "the service's static binary (/service in the image)")
	probe := fs.String("probe", "", "the probe's static binary (/probe in the image)")
	caCerts := fs.String("ca-certs", CACertsPath, "CA bundle to copy into the image")
	tag := fs.String("tag", "", "image reference, e.g. localhost/shop-platform/catalog:dev")
	out := fs.String("o", "", "output tarball")
	arch := fs.String("arch", "amd64", "architecture the binaries were built for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bin == "" || *probe == "" || *tag == "" || *out == "" {
		return errors.New("-service, -bin, -probe, -tag and -o are required")
	}
	r, err := RecipeFor(*service)
	if err != nil {
		return err
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", *tag, err)
	}
	files := map[string]file{
		"/etc/passwd": {data: []byte(passwd), mode: 0o644},
		"/etc/group":  {data: []byte(group), mode: 0o644},
	}
	for dst, src := range map[string]string{r.Binaries[0]: *bin, r.Binaries[1]: *probe, CACertsPath: *caCerts} {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		mode := int64(0o755)
		if dst == CACertsPath {
			mode = 0o644
		}
		files[dst] = file{data: data, mode: mode}
	}
	img, err := build(r, files, *arch)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(*out, ref, img); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s %s\n", ref, digest, *out)
	return nil
}

type file struct {
	data []byte
	mode int64
}

// epoch is the time of every file and of the image, for reproducible digests.
var epoch = time.Unix(0, 0).UTC()

// build makes the one-layer image of r holding files, owned by root like
// distroless's, with a /tmp for the chart's emptyDir and nonroot's home.
func build(r Recipe, files map[string]file, arch string) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	dir := func(d string, mode int64, uid int) error {
		if d == "/" || dirs[d] {
			return nil
		}
		dirs[d] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: mode, Uid: uid, Gid: uid, ModTime: epoch})
	}
	// parents writes the directories above p, root's, outermost first.
	var parents func(p string) error
	parents = func(p string) error {
		if d := path.Dir(p); d != "/" {
			return errors.Join(parents(d), dir(d, 0o755, 0))
		}
		return nil
	}
	if err := errors.Join(dir("/tmp", 0o1777, 0), parents("/home/nonroot"), dir("/home/nonroot", 0o700, 65532)); err != nil {
		return nil, err
	}
	for _, n := range slices.Sorted(maps.Keys(files)) {
		f := files[n]
		if err := parents(n); err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(n, "/"), Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: epoch}
	cf.Config.User = r.User
	cf.Config.Entrypoint = r.Entrypoint
	cf.Config.Labels = r.Labels
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=" + CACertsPath}
	if len(r.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range r.ExposedPorts {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cf)
}
