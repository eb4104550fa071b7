package catalog

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// seedJSON is the sample catalog written once by src/tools/seedgen.
//
//go:embed seed/products.json
var seedJSON []byte

// SeedProducts returns the bundled sample catalog.
func SeedProducts() ([]Product, error) {
	var list []Product
	if err := json.Unmarshal(seedJSON, &list); err != nil {
		return nil, fmt.Errorf("decoding seed catalog: %w", err)
	}
	return list, nil
}
