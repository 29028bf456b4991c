package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/internal/testkit"
	"go.lsp.dev/uri"
)

// BenchmarkSaveToDiagnostics measures the time from the didSave of a
// compile error to its publishDiagnostics, on the test fixture and on the
// example app (examples/shop). Each iteration also fixes the error and waits
// for the new version, untimed. It reports the median as ms/save.
func BenchmarkSaveToDiagnostics(b *testing.B) {
	for _, bc := range []struct{ name, src, file string }{
		{"fixture", filepath.Join("testdata", "app"), "greet/greet.go"},
		{"shop", filepath.Join("..", "..", "examples", "shop"), "internal/handlers/handlers.go"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := testkit.CopyModule(b, bc.src)
			file := filepath.Join(dir, bc.file)
			good, err := os.ReadFile(file)
			if err != nil {
				b.Fatal(err)
			}
			broken := append(slices.Clip(good), "\nvar _ int = \"not an int\"\n"...)
			c := newClient(b, Options{Logf: func(string, ...any) {}})
			from := c.mark()
			if err := c.call("initialize", initParams(dir), nil); err != nil {
				b.Fatal(err)
			}
			c.notify("initialized", map[string]any{})
			_, next := c.await(from, 5*wait, "status running", isStatus(dir, running(0)))
			save := map[string]any{"textDocument": map[string]any{"uri": string(uri.File(file))}}

			var took []time.Duration
			b.ResetTimer()
			for range b.N {
				if err := os.WriteFile(file, broken, 0o644); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				c.notify("textDocument/didSave", save)
				_, next = c.await(next, wait, "diagnostics", isDiagnostics(file, false))
				took = append(took, time.Since(start))

				b.StopTimer()
				if err := os.WriteFile(file, good, 0o644); err != nil {
					b.Fatal(err)
				}
				c.notify("textDocument/didSave", save)
				_, next = c.await(next, wait, "diagnostics cleared", isDiagnostics(file, true))
				_, next = c.await(next, wait, "status running", isStatus(dir, running(0)))
				b.StartTimer()
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms/save")
		})
	}
}
