package search

import _ "embed"

// openAPI is the search service's OpenAPI document, served at /openapi.json.
//
//go:embed openapi.yaml
var openAPI []byte
