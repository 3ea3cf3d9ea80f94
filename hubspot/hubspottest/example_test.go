package hubspottest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

// ExampleNewServer starts a fake, seeds a contact, and talks to it over
// HTTP as the SDK client does.
func ExampleNewServer() {
	srv, err := hubspottest.NewServer(hubspottest.WithToken("pat-test"))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// Seed through a helper: no API call is counted.
	if _, err := srv.Fake.CreateContact(map[string]string{"email": "taro@example.com", "firstname": "Taro"}); err != nil {
		panic(err)
	}

	// Upsert by email through the API.
	body := `{"inputs":[{"id":"TARO@example.com","idProperty":"email","properties":{"lastname":"Yamada"},"objectWriteTraceId":"1"},
	                   {"id":"hanako@example.com","idProperty":"email","properties":{"firstname":"Hanako"},"objectWriteTraceId":"2"}]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"crm/v3/objects/contacts/batch/upsert", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer pat-test")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			ID    string `json:"id"`
			New   bool   `json:"new"`
			Trace string `json:"objectWriteTraceId"`
		} `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode)
	for _, r := range out.Results {
		fmt.Printf("trace %s: id %s new=%v\n", r.Trace, r.ID, r.New)
	}
	c, _ := srv.Fake.ContactByEmail("taro@example.com")
	fmt.Println(c.Properties["firstname"], c.Properties["lastname"])
	fmt.Println(srv.Fake.Requests())
	// Output:
	// 200
	// trace 1: id 1 new=false
	// trace 2: id 2 new=true
	// Taro Yamada
	// map[POST /crm/v3/objects/contacts/batch/upsert:1]
}
