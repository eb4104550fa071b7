package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// selfReport is what a live container is, seen from inside: the image has
// no shell, so the e2e test asks the probe (kubectl exec) instead of id,
// touch or ls.
type selfReport struct {
	UID          int      `json:"uid"`
	GID          int      `json:"gid"`
	RootReadOnly bool     `json:"root_read_only"`
	Writable     []string `json:"writable"`
	Files        []string `json:"files"`
}

// self reports the process's user and checks the filesystem the chart
// promises: the root is read-only, dirs are writable (the emptyDirs), files
// exist and are not empty (the service's log under logs_and_metrics).
func self(dirs, files []string, out io.Writer) error {
	r := selfReport{UID: os.Getuid(), GID: os.Getgid(), Writable: []string{}, Files: []string{}}
	var errs []error
	if f, err := os.CreateTemp("/", ".probe-"); err == nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		errs = append(errs, errors.New("the root filesystem is writable"))
	} else if errors.Is(err, syscall.EROFS) {
		r.RootReadOnly = true
	} else {
		errs = append(errs, fmt.Errorf("writing to /: %w, want a read-only filesystem", err))
	}
	for _, d := range dirs {
		f, err := os.CreateTemp(d, ".probe-")
		if err != nil {
			errs = append(errs, fmt.Errorf("%s is not writable: %w", d, err))
			continue
		}
		_ = f.Close()
		_ = os.Remove(f.Name())
		r.Writable = append(r.Writable, d)
	}
	for _, name := range files {
		st, err := os.Stat(filepath.Clean(name))
		switch {
		case err != nil:
			errs = append(errs, err)
		case st.Size() == 0:
			errs = append(errs, fmt.Errorf("%s is empty", name))
		default:
			r.Files = append(r.Files, name)
		}
	}
	if err := json.NewEncoder(out).Encode(r); err != nil {
		return err
	}
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
