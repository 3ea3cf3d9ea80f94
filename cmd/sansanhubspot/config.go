package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/server"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// config is the tool's configuration, merged from the config file, the
// environment and the flags, in increasing precedence.
type config struct {
	store     string
	direction syncer.Direction
	account   string
	tags      []string
	interval  time.Duration
	dryRun    bool
	addr      string
	logLevel  slog.Level
	levelSet  bool
	logJSON   bool

	sansanKey, hubspotToken, webhookSecret    string
	sansanBaseURL, hubspotBaseURL, webhookURL string

	// accounts, from the config file's "accounts", replace account, tags
	// and sansanKey when set.
	accounts []accountConfig
}

// accountConfig is one entry of the config file's "accounts".
type accountConfig struct {
	Name      string   `json:"name"`
	APIKey    string   `json:"api_key"`
	APIKeyEnv string   `json:"api_key_env"`
	TagIDs    []string `json:"tags"`
}

// setting is one configuration value: a key in the config file, an
// environment variable and, for most, a flag named like the key with
// hyphens. Secrets have no flag: command lines show in process listings.
type setting struct {
	key, env string
	flag     bool
	isBool   bool
	def      string
	help     string
	apply    func(c *config, v string) error
}

var settings = []setting{
	{key: "store", env: "SANSANHUBSPOT_STORE", flag: true, help: "directory of the durable file store of links and checkpoints",
		apply: func(c *config, v string) error { c.store = v; return nil }},
	{key: "direction", env: "SANSANHUBSPOT_DIRECTION", flag: true, def: "sansan-to-hubspot", help: "sansan-to-hubspot, hubspot-to-sansan or two-way",
		apply: func(c *config, v string) (err error) { c.direction, err = syncer.ParseDirection(v); return err }},
	{key: "account", env: "SANSANHUBSPOT_ACCOUNT", def: "sansan", help: "name of the Sansan account in reports and the store",
		apply: func(c *config, v string) error { c.account = v; return nil }},
	{key: "tags", env: "SANSAN_TAG_IDS", flag: true, help: "comma-separated Sansan public or shared tag ids to sync (default: all cards)",
		apply: func(c *config, v string) error { c.tags = splitList(v); return nil }},
	{key: "interval", env: "SANSANHUBSPOT_INTERVAL", flag: true, def: syncer.DefaultInterval.String(), help: "time between passes of sync --watch and serve, e.g. 30s, 5m",
		apply: func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 30s or 5m", v)
			}
			c.interval = d
			return nil
		}},
	{key: "dry_run", env: "SANSANHUBSPOT_DRY_RUN", flag: true, isBool: true, def: "false", help: "plan without writing to Sansan, HubSpot or the store",
		apply: func(c *config, v string) (err error) { c.dryRun, err = strconv.ParseBool(v); return err }},
	{key: "addr", env: "SANSANHUBSPOT_ADDR", flag: true, def: server.DefaultAddr, help: "serve: listen address (the page has no authentication; see the docs before exposing it)",
		apply: func(c *config, v string) error { c.addr = v; return nil }},
	{key: "log_level", env: "SANSANHUBSPOT_LOG_LEVEL", flag: true, help: "debug, info, warn or error (default: info for serve and sync --watch, warn otherwise)",
		apply: func(c *config, v string) error { c.levelSet = true; return c.logLevel.UnmarshalText([]byte(v)) }},
	{key: "log_format", env: "SANSANHUBSPOT_LOG_FORMAT", flag: true, def: "text", help: "text or json",
		apply: func(c *config, v string) error {
			switch v {
			case "text", "json":
				c.logJSON = v == "json"
				return nil
			}
			return fmt.Errorf("%q is not text or json", v)
		}},
	{key: "sansan_api_key", env: "SANSAN_API_KEY", help: "Sansan API key (an administrator's sees every card)",
		apply: func(c *config, v string) error { c.sansanKey = v; return nil }},
	{key: "hubspot_access_token", env: "HUBSPOT_ACCESS_TOKEN", help: "HubSpot private app access token",
		apply: func(c *config, v string) error { c.hubspotToken = v; return nil }},
	{key: "hubspot_client_secret", env: "HUBSPOT_CLIENT_SECRET", help: "serve: the HubSpot app's client secret; enables /webhooks/hubspot",
		apply: func(c *config, v string) error { c.webhookSecret = v; return nil }},
	{key: "webhook_url", env: "HUBSPOT_WEBHOOK_URL", flag: true, help: "serve: the exact webhook URL configured in HubSpot, when a proxy changes the host or path",
		apply: func(c *config, v string) error { c.webhookURL = v; return nil }},
	{key: "sansan_base_url", env: "SANSAN_BASE_URL", flag: true, help: "Sansan API base URL (a proxy)",
		apply: func(c *config, v string) error { c.sansanBaseURL = v; return nil }},
	{key: "hubspot_base_url", env: "HUBSPOT_BASE_URL", flag: true, help: "HubSpot API base URL (a proxy)",
		apply: func(c *config, v string) error { c.hubspotBaseURL = v; return nil }},
}

// envConfigFile names the config file when --config is not given.
const envConfigFile = "SANSANHUBSPOT_CONFIG"

func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// settingFlag records a setting given on the command line.
type settingFlag struct {
	s     *setting
	value *string
}

func (f settingFlag) String() string {
	if f.value == nil || *f.value == "" {
		return f.s.def
	}
	return *f.value
}
func (f settingFlag) Set(v string) error { *f.value = v; return nil }
func (f settingFlag) IsBoolFlag() bool   { return f.s.isBool }

// flagValues are the settings given as flags, and --config.
type flagValues struct {
	set        map[string]*string
	configFile string
}

// register adds the settings' flags and --config to fs.
func register(fs *flag.FlagSet) *flagValues {
	fv := &flagValues{set: map[string]*string{}}
	fs.StringVar(&fv.configFile, "config", "", "JSON config file (env "+envConfigFile+"); flags override the environment, which overrides the file")
	for i := range settings {
		s := &settings[i]
		if !s.flag {
			continue
		}
		v := new(string)
		fv.set[s.key] = v
		fs.Var(settingFlag{s: s, value: v}, flagName(s.key), s.help+" (env "+s.env+")")
	}
	return fv
}

// load merges defaults, the config file, the environment and the flags
// that fs saw set.
func load(fs *flag.FlagSet, fv *flagValues, getenv func(string) string) (config, error) {
	var c config
	var problems []string
	apply := func(s *setting, v, from string) {
		if err := s.apply(&c, strings.TrimSpace(v)); err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: %v", from, s.key, err))
		}
	}
	for i := range settings {
		if s := &settings[i]; s.def != "" {
			apply(s, s.def, "default")
		}
	}
	path := fv.configFile
	if path == "" {
		path = strings.TrimSpace(getenv(envConfigFile))
	}
	if path != "" {
		values, accounts, err := readConfigFile(path)
		if err != nil {
			return c, err
		}
		for i := range settings {
			if v, ok := values[settings[i].key]; ok {
				apply(&settings[i], v, "config file:")
			}
		}
		c.accounts = accounts
	}
	for i := range settings {
		if v := strings.TrimSpace(getenv(settings[i].env)); v != "" {
			apply(&settings[i], v, settings[i].env+":")
		}
	}
	fs.Visit(func(f *flag.Flag) {
		for i := range settings {
			if s := &settings[i]; s.flag && flagName(s.key) == f.Name {
				apply(s, *fv.set[s.key], "--"+f.Name+":")
			}
		}
	})
	if len(c.accounts) > 0 {
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "tags" {
				problems = append(problems, "--tags cannot be used with the config file's \"accounts\": give each account its tags there")
			}
		})
		for i, a := range c.accounts {
			if a.APIKeyEnv != "" {
				c.accounts[i].APIKey = strings.TrimSpace(getenv(a.APIKeyEnv))
			}
		}
	}
	if len(problems) > 0 {
		return c, errors.New(strings.Join(problems, "; "))
	}
	return c, nil
}

// readConfigFile reads a JSON object of settings (strings, booleans,
// numbers, or lists of strings for tags) and an optional "accounts" list.
func readConfigFile(path string) (map[string]string, []accountConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config file: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, nil, fmt.Errorf("config file %s: %w", path, err)
	}
	values := map[string]string{}
	var accounts []accountConfig
	var problems []string
	for k, v := range obj {
		if k == "accounts" {
			dec := json.NewDecoder(strings.NewReader(string(v)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&accounts); err != nil {
				problems = append(problems, fmt.Sprintf("accounts: %v", err))
			}
			continue
		}
		if !slices.ContainsFunc(settings, func(s setting) bool { return s.key == k }) {
			problems = append(problems, fmt.Sprintf("unknown key %q", k))
			continue
		}
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", k, err))
			continue
		}
		switch t := val.(type) {
		case string:
			values[k] = t
		case bool:
			values[k] = strconv.FormatBool(t)
		case float64:
			values[k] = strconv.FormatFloat(t, 'f', -1, 64)
		case []any:
			var parts []string
			for _, e := range t {
				s, ok := e.(string)
				if !ok {
					problems = append(problems, fmt.Sprintf("%s: list of strings expected", k))
					break
				}
				parts = append(parts, s)
			}
			values[k] = strings.Join(parts, ",")
		default:
			problems = append(problems, fmt.Sprintf("%s: a string, number, boolean or list of strings expected", k))
		}
	}
	for i, a := range accounts {
		if a.Name == "" {
			problems = append(problems, fmt.Sprintf("accounts[%d] has no name", i))
		}
		if a.APIKey != "" && a.APIKeyEnv != "" {
			problems = append(problems, fmt.Sprintf("accounts[%d]: api_key and api_key_env both set", i))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, nil, fmt.Errorf("config file %s: %s", path, strings.Join(problems, "; "))
	}
	return values, accounts, nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
