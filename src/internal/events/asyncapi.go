package events

import _ "embed"

// asyncAPI is the AsyncAPI 3 document of the events (asyncapi.yaml).
//
//go:embed asyncapi.yaml
var asyncAPI []byte

// AsyncAPI returns the AsyncAPI 3 document of the shop's events, which the
// tests of the events package and of every producer and consumer hold the
// code to.
func AsyncAPI() []byte { return asyncAPI }
