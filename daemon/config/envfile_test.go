package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadEnvFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GINHOT_TEST_HOME", "/home/dev")
	write(t, dir, ".env", `# app settings
APP_ENV=dev
export PORT_HINT = 3000
DB_URL="postgres://u:p@localhost/db?sslmode=disable" # trailing comment
GREETING='hello $NOT_EXPANDED'
MULTI="line one
line two\tend"
EMPTY=
HASH=a#b
SPACED=  padded value   # note
CACHE=${GINHOT_TEST_HOME}/cache:$APP_ENV
PRICE="costs \$5"
`)
	write(t, dir, ".env.local", "APP_ENV=local\nSECRET='s3cr3t'\n")
	got, err := LoadEnvFiles(dir, []string{".env", ".env.local", ".env.missing"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"APP_ENV=local",
		"PORT_HINT=3000",
		"DB_URL=postgres://u:p@localhost/db?sslmode=disable",
		"GREETING=hello $NOT_EXPANDED",
		"MULTI=line one\nline two\tend",
		"EMPTY=",
		"HASH=a#b",
		"SPACED=padded value",
		"CACHE=/home/dev/cache:dev",
		"PRICE=costs $5",
		"SECRET=s3cr3t",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("LoadEnvFiles (-want +got):\n%s", diff)
	}
}

func TestEnvFileErrorsNameFileAndLine(t *testing.T) {
	tests := []struct{ content, want string }{
		{"A=1\n\nthis is not an assignment\n", `.env:3: want NAME=value, found "this is not an assignment"`},
		{"A=1\n1BAD=2\n", `.env:2: "1BAD" is not a variable name`},
		{"A=1\nB=\"open\nstill open\n", `.env:2: a double quote is not closed`},
		{"A='x' y\n", `.env:1: unexpected "y" after the closing quote`},
		{"A=\"multi\nline\" junk\nB=2\n", `.env:2: unexpected "junk" after the closing quote`},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		write(t, dir, ".env", tc.content)
		_, err := LoadEnvFiles(dir, []string{".env"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tc.content, err, tc.want)
		}
	}
}

func TestEnvFileLinesAfterAMultilineValue(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".env", "A=\"one\ntwo\"\nB=3\nnope\n")
	_, err := LoadEnvFiles(dir, []string{".env"})
	if err == nil || !strings.Contains(err.Error(), ".env:4:") {
		t.Fatalf("err = %v, want line 4", err)
	}
}
