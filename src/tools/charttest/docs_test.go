//go:build charttest

package charttest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestValuesTable keeps the README's values table in step with the `# --`
// comments of the values files, and fails on any undocumented value.
// SHOP_UPDATE_CHART_DOCS=1 (make chart-docs) rewrites the table instead.
func TestValuesTable(t *testing.T) {
	table, err := ValuesTable()
	if err != nil {
		t.Fatal(err)
	}
	readmePath := filepath.Join(ChartDir(), "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := SpliceTable(string(readme), table)
	if err != nil {
		t.Fatal(err)
	}
	if want == string(readme) {
		return
	}
	if os.Getenv("SHOP_UPDATE_CHART_DOCS") == "1" {
		if err := os.WriteFile(readmePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README.md values table rewritten")
		return
	}
	t.Fatal("charts/shop/README.md's values table is out of date: run `make chart-docs`")
}

// TestValuesTableNeedsDocs proves an undocumented value is refused.
func TestValuesTableNeedsDocs(t *testing.T) {
	f := writeValues(t, "# -- documented\na: 1\nb:\n  # -- documented\n  c: x\n  d: y\n")
	if _, err := DocumentValues(f, ""); err == nil {
		t.Fatal("b.d has no `# --` comment, yet DocumentValues accepts it")
	}
}
