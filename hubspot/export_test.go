package hubspot

// Unexported parsers, exported to the external tests of this package only.
var (
	ParsePropertyErrors = parsePropertyErrors
	ParseExistingID     = parseExistingID
)

// SignatureV1 and SignatureV2 compute the legacy signatures for the tests.
func SignatureV1(clientSecret string, body []byte) string {
	s, _ := legacySignature("v1", clientSecret, "", "", body)
	return s
}

func SignatureV2(clientSecret, method, uri string, body []byte) string {
	s, _ := legacySignature("v2", clientSecret, method, uri, body)
	return s
}

// ForwardedWebhookURL is the URL VerifyWebhook signs with
// TrustForwardedHeaders, for the tests.
var ForwardedWebhookURL = forwardedWebhookURL
