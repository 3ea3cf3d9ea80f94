package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

// fakesConfig configures the child process that serves the fakes. The fakes
// run in their own process so that the parent's CPU time and heap are the
// SDK's alone.
type fakesConfig struct {
	Cards int    `json:"cards"`
	Seed  uint64 `json:"seed"`

	// HubSpotMax requests per HubSpotWindow (rolling, non-search); 0 = off.
	HubSpotMax    int           `json:"hubspotMax"`
	HubSpotWindow time.Duration `json:"hubspotWindow"`
	// SearchPerSec limits HubSpot search per rolling second; 0 = off.
	SearchPerSec int `json:"searchPerSec"`
	// SansanRate and SansanBurst are the Sansan token bucket per key; 0 = off.
	SansanRate  float64 `json:"sansanRate"`
	SansanBurst int     `json:"sansanBurst"`

	WebhookURL    string `json:"webhookURL"`
	WebhookSecret string `json:"webhookSecret"`
}

// fakesInfo is what the child prints once it is listening.
type fakesInfo struct {
	SansanURL  string `json:"sansanURL"`
	HubSpotURL string `json:"hubspotURL"`
	ControlURL string `json:"controlURL"`
	APIKey     string `json:"apiKey"`
}

// stats is the child's answer to GET /stats.
type stats struct {
	Sansan   map[string]int `json:"sansan"`
	HubSpot  map[string]int `json:"hubspot"`
	Contacts int            `json:"contacts"`
	CPU      time.Duration  `json:"cpu"`
}

// genTo bounds generated card times so that no card is updated after the
// wall clock (the generator adds up to a year to exchange dates).
func genTo() time.Time { return time.Now().AddDate(-1, 0, -1) }

// serveFakes is the child process: it starts both fakes and a control
// server on loopback, prints fakesInfo as one JSON line and serves until
// its standard input closes (the parent exited or is done with it).
func serveFakes(cfgJSON string) error {
	var cfg fakesConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		return fmt.Errorf("fakes config: %w", err)
	}
	var sopts []sansantest.Option
	if cfg.SansanRate > 0 {
		sopts = append(sopts, sansantest.WithRateLimit(cfg.SansanRate, cfg.SansanBurst))
	}
	ss, err := sansantest.NewServer(sopts...)
	if err != nil {
		return err
	}
	defer ss.Close()
	var hopts []hubspottest.Option
	if cfg.HubSpotMax > 0 {
		hopts = append(hopts, hubspottest.WithRateLimit(cfg.HubSpotMax, cfg.HubSpotWindow))
	}
	if cfg.SearchPerSec > 0 {
		hopts = append(hopts, hubspottest.WithSearchRateLimit(cfg.SearchPerSec))
	}
	if cfg.WebhookURL != "" {
		hopts = append(hopts, hubspottest.WithWebhooks(hubspottest.WebhookConfig{
			TargetURL: cfg.WebhookURL, ClientSecret: cfg.WebhookSecret, AppID: 1,
		}))
	}
	hs, err := hubspottest.NewServer(hopts...)
	if err != nil {
		return err
	}
	defer hs.Close()

	users := sansantest.DefaultUsers()
	var admin sansantest.User
	for _, u := range users {
		ss.Fake.AddUser(u)
		if u.Admin {
			admin = u
		}
	}
	for _, t := range sansantest.DefaultTags(users) {
		ss.Fake.AddTag(t)
	}
	if cfg.Cards > 0 {
		ss.Fake.Seed(sansantest.GenerateOptions{Seed: cfg.Seed, Cards: cfg.Cards, Owners: users, Tags: ss.Fake.Tags(), To: genTo()})
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctl := &control{ss: ss, hs: hs}
	srv := &http.Server{Handler: ctl.mux(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with the process
	defer srv.Close()

	info := fakesInfo{SansanURL: ss.URL, HubSpotURL: hs.URL, ControlURL: "http://" + ln.Addr().String() + "/", APIKey: admin.APIKey}
	if err := json.NewEncoder(os.Stdout).Encode(info); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes the pipe
	return nil
}

type control struct {
	ss *sansantest.Server
	hs *hubspottest.Server
}

func (c *control) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, stats{Sansan: c.ss.Fake.Requests(), HubSpot: c.hs.Fake.Requests(), Contacts: c.hs.Fake.NumContacts(), CPU: selfCPU()})
	})
	m.HandleFunc("POST /reset", func(w http.ResponseWriter, r *http.Request) {
		c.ss.Fake.ResetCounters()
		c.hs.Fake.ResetCounters()
		writeJSON(w, "ok")
	})
	// touch changes the title of n synced cards (the cards HubSpot contacts
	// were made from, lowest contact id first), so each needs one write.
	m.HandleFunc("POST /touch", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		contacts := c.hs.Fake.Contacts()
		slices.SortFunc(contacts, func(a, b hubspottest.Contact) int { return cmpID(a.ID, b.ID) })
		type touched struct {
			ContactID string `json:"contactID"`
			Title     string `json:"title"`
		}
		var out []touched
		for _, ct := range contacts {
			if len(out) == n {
				break
			}
			id := ct.Properties["sansan_card_id"]
			if id == "" {
				continue
			}
			title := fmt.Sprintf("部長 %d", time.Now().UnixNano())
			if _, err := c.ss.Fake.UpdateCard(id, func(card *sansantest.Card) { card.Title = &title }); err != nil {
				continue
			}
			out = append(out, touched{ContactID: ct.ID, Title: title})
		}
		writeJSON(w, out)
	})
	m.HandleFunc("GET /contact", func(w http.ResponseWriter, r *http.Request) {
		ct, ok := c.hs.Fake.Contact(r.URL.Query().Get("id"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, ct.Properties)
	})
	// contact creates a HubSpot contact (which fires a webhook when
	// configured) and waits until a Sansan card with its email exists,
	// answering the time that took.
	m.HandleFunc("POST /contact", func(w http.ResponseWriter, r *http.Request) {
		email := r.URL.Query().Get("email")
		start := time.Now()
		if _, err := c.hs.Fake.CreateContact(map[string]string{"email": email, "firstname": "太郎", "lastname": "山田", "company": "株式会社ベンチ"}); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		deadline := start.Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if c.hasCard(email) {
				writeJSON(w, time.Since(start))
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
		http.Error(w, "card never registered", http.StatusGatewayTimeout)
	})
	return m
}

func (c *control) hasCard(email string) bool {
	for _, card := range c.ss.Fake.Cards() {
		if card.Email != nil && strings.EqualFold(*card.Email, email) {
			return true
		}
	}
	return false
}

func cmpID(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// selfCPU returns the user+system CPU time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fakes is the parent's handle on a child process serving the fakes.
type fakes struct {
	fakesInfo
	cmd   *exec.Cmd
	stdin io.WriteCloser
	hc    *http.Client
}

// startFakes re-executes this program in fake-serving mode.
func startFakes(cfg fakesConfig) (*fakes, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(cfg)
	cmd := exec.Command(exe, "-fakes", string(b))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &fakes{cmd: cmd, stdin: stdin, hc: &http.Client{Timeout: 60 * time.Second}}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		f.close()
		return nil, fmt.Errorf("fakes did not start: %w", err)
	}
	if err := json.Unmarshal(line, &f.fakesInfo); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *fakes) close() {
	f.stdin.Close()
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}

func (f *fakes) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, f.ControlURL+path, nil)
	if err != nil {
		return err
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return errors.New("control " + path + ": " + resp.Status + ": " + string(b))
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (f *fakes) stats(ctx context.Context) (stats, error) {
	var s stats
	err := f.call(ctx, http.MethodGet, "stats", &s)
	return s, err
}

func (f *fakes) reset(ctx context.Context) error { return f.call(ctx, http.MethodPost, "reset", nil) }
