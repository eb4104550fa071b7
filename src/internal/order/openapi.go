package order

import _ "embed"

// openAPI is the order service's OpenAPI document, served at /openapi.json.
//
//go:embed openapi.yaml
var openAPI []byte
