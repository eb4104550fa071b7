package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type testConfig struct {
	Base
	Port  int    `env:"PORT" envDefault:"7000"`
	Token Secret `env:"TOKEN,required"`
}

func (c testConfig) Validate() error {
	return errors.Join(ValidatePort("PORT", c.Port), c.Base.Validate())
}

func TestLoadConfigDefaultsAndOverrides(t *testing.T) {
	cfg, err := LoadConfig[testConfig](map[string]string{"TOKEN": "s3cret", "REQUEST_TIMEOUT": "750ms"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 7000 || cfg.RequestTimeout != 750*time.Millisecond || cfg.LogLevel != "info" || cfg.Token.Value() != "s3cret" {
		t.Fatalf("config = %+v", cfg)
	}
}

func TestLoadConfigNamesWhatIsWrong(t *testing.T) {
	cases := map[string]map[string]string{
		"TOKEN":           {},
		"REQUEST_TIMEOUT": {"TOKEN": "x", "REQUEST_TIMEOUT": "soon"},
		"LOG_LEVEL":       {"TOKEN": "x", "LOG_LEVEL": "loud"},
		"BODY_LIMIT":      {"TOKEN": "x", "BODY_LIMIT": "10"},
		"READY_TIMEOUT":   {"TOKEN": "x", "READY_TIMEOUT": "-1s"},
		"PORT":            {"TOKEN": "x", "PORT": "70000"},
	}
	for name, environ := range cases {
		_, err := LoadConfig[testConfig](environ)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: error %v does not name %s", environ, err, name)
		}
	}
}

func TestSecretsAreMaskedWhereverConfigIsPrinted(t *testing.T) {
	cfg, err := LoadConfig[testConfig](map[string]string{"TOKEN": "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("starting", "config", cfg, "token", cfg.Token)
	encoded, _ := json.Marshal(cfg)
	for name, out := range map[string]string{
		"slog": logged.String(), "json": string(encoded), "fmt %v": fmt.Sprintf("%v", cfg), "fmt %+v": fmt.Sprintf("%+v", cfg),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s output leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "********") {
			t.Errorf("%s output has no mask: %s", name, out)
		}
	}
}

func TestEnvNamesComeFromTheStruct(t *testing.T) {
	names := strings.Join(EnvNames[testConfig](), ",")
	for _, want := range []string{"PORT", "TOKEN", "LOG_LEVEL", "BODY_LIMIT"} {
		if !strings.Contains(names, want) {
			t.Errorf("EnvNames lacks %s: %s", want, names)
		}
	}
	if got := RequiredEnvNames[testConfig](); len(got) != 1 || got[0] != "TOKEN" {
		t.Errorf("RequiredEnvNames = %v, want [TOKEN]", got)
	}
}
