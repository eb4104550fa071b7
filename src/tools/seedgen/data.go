package main

import (
	"bytes"
	_ "embed"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// productsYAML is the hand-written data the catalog is made from: what
// each aisle sells, and the books (products.yaml explains its fields).
//
//go:embed products.yaml
var productsYAML []byte

// shopData is products.yaml.
type shopData struct {
	Categories []category
	Books      []book
}

// category is one aisle of the sample shop.
type category struct {
	Name   string
	Brands []string
	Kinds  []kind
}

// kind is one sort of product a category sells, in three variants. Prices
// are in whole dollars; a variant scales them.
type kind struct {
	Noun     string
	Min, Max int
	Variants [3]variant
	// About is the second sentence of every description: what the product
	// is for, written for this kind of product.
	About string
}

// variant is one version of a kind: the words around its noun in the name
// ("Drip|with Grinder" puts "with Grinder" after it), the feature its
// description names, and its price factor.
type variant struct {
	Name, Feature string
	Price         float64
}

// book is one title of the books category, which has authors, not brands.
type book struct {
	Title, Author, Genre, Blurb string
	Dollars                     int
}

// loadData reads products.yaml; a field it does not know is an error, so
// a misspelt key cannot silently leave a product without its price.
func loadData() (shopData, error) {
	var d shopData
	dec := yaml.NewDecoder(bytes.NewReader(productsYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("products.yaml: %w", err)
	}
	return d, nil
}
