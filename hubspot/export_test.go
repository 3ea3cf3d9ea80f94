package hubspot

// Unexported parsers, exported to the external tests of this package only.
var (
	ParsePropertyErrors = parsePropertyErrors
	ParseExistingID     = parseExistingID
)
