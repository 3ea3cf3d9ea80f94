// Package optionstest holds the table-driven test that runs every option the
// sansan and hubspot clients share on both clients, to prove that the
// options have the same names, validation and behaviour on both sides (they
// are all built from internal/apiclient's Settings). It has no non-test
// code.
package optionstest
