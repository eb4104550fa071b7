package catalog

import _ "embed"

// openAPI is the catalog's OpenAPI document, served at /openapi.json.
//
//go:embed openapi.yaml
var openAPI []byte
