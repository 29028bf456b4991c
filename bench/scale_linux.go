//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// shape is the tree of a generated module: domains, each with services,
// each with a heap of leaves (leaf j imports leaves 2j+1 and 2j+2), plus
// two mains: cmd/api (Gin) imports the first half of the domains and
// cmd/worker (no Gin) the second half.
type shape struct {
	Domains  int
	Services int // per domain
	Total    int // packages, mains included
}

// scaleInfo describes a generated module.
type scaleInfo struct {
	Packages  int
	Reached   int      // packages cmd/api reaches in the module, itself included
	Depth     int      // longest import chain from cmd/api, in packages
	Reachable []string // leaf files cmd/api reaches
	Unreached []string // leaf files no Gin main reaches
}

// leafFile is the source of a generated library package.
func leafFile(module, name string, imports []string, value int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "// Package %s is generated for ginhotd's scale benchmark.\npackage %s\n\n", name, name)
	if len(imports) > 0 {
		sb.WriteString("import (\n")
		for _, im := range imports {
			fmt.Fprintf(&sb, "\t%q\n", module+"/"+im)
		}
		sb.WriteString(")\n\n")
	}
	fmt.Fprintf(&sb, "// Value is what the benchmark edits.\nconst Value = %d\n\n", value)
	sb.WriteString("// F depends on every import.\nfunc F() int {\n\treturn Value")
	for _, im := range imports {
		fmt.Fprintf(&sb, " + %s.F()", filepath.Base(im))
	}
	sb.WriteString("\n}\n")
	return sb.String()
}

// genScale writes a module of s.Total packages to dir, reusing the go.mod
// requirements and go.sum of examples/shop (real Gin from the module
// cache).
func genScale(dir string, s shape, goMod, goSum []byte) (scaleInfo, error) {
	const module = "example.com/scale"
	if s.Domains < 2 || s.Services < 1 {
		return scaleInfo{}, fmt.Errorf("scale: shape %+v too small", s)
	}
	inner := s.Domains + s.Domains*s.Services
	leaves := s.Total - 2 - inner
	services := s.Domains * s.Services
	if leaves < services {
		return scaleInfo{}, fmt.Errorf("scale: %d packages are too few for shape %+v", s.Total, s)
	}
	if err := os.RemoveAll(dir); err != nil {
		return scaleInfo{}, fmt.Errorf("scale: %w", err)
	}
	write := func(rel, content string) error {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		return nil
	}
	mod := regexp.MustCompile(`(?m)^module .*$`).ReplaceAll(goMod, []byte("module "+module))
	if err := write("go.mod", string(mod)); err != nil {
		return scaleInfo{}, err
	}
	if err := write("go.sum", string(goSum)); err != nil {
		return scaleInfo{}, err
	}
	info := scaleInfo{Packages: s.Total}
	var domains []string
	svc := 0
	for d := 0; d < s.Domains; d++ {
		dpath := fmt.Sprintf("internal/d%02d", d)
		domains = append(domains, dpath)
		var sps []string
		reached := d < s.Domains/2
		for sv := 0; sv < s.Services; sv++ {
			spath := fmt.Sprintf("%s/s%02d", dpath, sv)
			sps = append(sps, spath)
			n := leaves / services
			if svc < leaves%services {
				n++
			}
			svc++
			if reached {
				// cmd/api → domain → service → the leaves' longest chain.
				info.Depth = max(info.Depth, 3+heapDepth(0, n))
			}
			for j := 0; j < n; j++ {
				lpath := fmt.Sprintf("%s/l%02d", spath, j)
				var ims []string
				for _, k := range []int{2*j + 1, 2*j + 2} {
					if k < n {
						ims = append(ims, fmt.Sprintf("%s/l%02d", spath, k))
					}
				}
				if err := write(lpath+"/pkg.go", leafFile(module, filepath.Base(lpath), ims, j)); err != nil {
					return scaleInfo{}, err
				}
				if reached {
					info.Reached++
					info.Reachable = append(info.Reachable, lpath+"/pkg.go")
				} else {
					info.Unreached = append(info.Unreached, lpath+"/pkg.go")
				}
			}
			if err := write(spath+"/pkg.go", leafFile(module, filepath.Base(spath), []string{spath + "/l00"}, sv)); err != nil {
				return scaleInfo{}, err
			}
			if reached {
				info.Reached++
			}
		}
		if err := write(dpath+"/pkg.go", leafFile(module, filepath.Base(dpath), sps, d)); err != nil {
			return scaleInfo{}, err
		}
		if reached {
			info.Reached++
		}
	}
	info.Reached++ // cmd/api
	half := s.Domains / 2
	if err := write("cmd/api/main.go", scaleMain(module, domains[:half])); err != nil {
		return scaleInfo{}, err
	}
	if err := write("cmd/worker/main.go", scaleWorker(module, domains[half:])); err != nil {
		return scaleInfo{}, err
	}
	return info, nil
}

// heapDepth is how many packages long the import chain from leaf j of n
// leaves down goes, j included.
func heapDepth(j, n int) int {
	d := 0
	for k := j; k < n; k = 2*k + 1 {
		d++
	}
	return d
}

func scaleMain(module string, domains []string) string {
	var sb strings.Builder
	sb.WriteString("// Command api is the generated module's Gin main.\npackage main\n\nimport (\n\t\"net/http\"\n\n\t\"github.com/gin-gonic/gin\"\n\n")
	for _, d := range domains {
		fmt.Fprintf(&sb, "\t%q\n", module+"/"+d)
	}
	sb.WriteString(")\n\nfunc main() {\n\tsum := 0")
	for _, d := range domains {
		fmt.Fprintf(&sb, " + %s.F()", filepath.Base(d))
	}
	sb.WriteString("\n\tr := gin.New()\n\tr.GET(\"/version\", func(c *gin.Context) { c.String(http.StatusOK, \"%d\", sum) })\n\tif err := r.Run(); err != nil {\n\t\tpanic(err)\n\t}\n}\n")
	return sb.String()
}

func scaleWorker(module string, domains []string) string {
	var sb strings.Builder
	sb.WriteString("// Command worker is the generated module's second main; it does not import Gin.\npackage main\n\nimport (\n\t\"fmt\"\n\n")
	for _, d := range domains {
		fmt.Fprintf(&sb, "\t%q\n", module+"/"+d)
	}
	sb.WriteString(")\n\nfunc main() {\n\tfmt.Println(0")
	for _, d := range domains {
		fmt.Fprintf(&sb, " + %s.F()", filepath.Base(d))
	}
	sb.WriteString(")\n}\n")
	return sb.String()
}

// editValue rewrites the Value constant of a generated file.
func editValue(path string, v int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	out := regexp.MustCompile(`(?m)^const Value = \d+$`).ReplaceAll(b, []byte(fmt.Sprintf("const Value = %d", v)))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	return nil
}

// scale is scenario 9 on a generated module. Its directory is fixed (under
// the system temp dir) so that the build cache, whose keys include package
// directories, stays warm from one run to the next.
func (b *bench) scale() *ScaleResult {
	r := &ScaleResult{GinReal: true}
	fail := func(err error) { r.Errors = append(r.Errors, err.Error()); logf("scale: %v", err) }
	dir := filepath.Join(os.TempDir(), "ginhotd-bench-scale")
	defer os.RemoveAll(dir)
	goMod, err1 := os.ReadFile(filepath.Join(b.repo, "examples", "shop", "go.mod"))
	goSum, err2 := os.ReadFile(filepath.Join(b.repo, "examples", "shop", "go.sum"))
	if err1 != nil || err2 != nil {
		fail(fmt.Errorf("reading the shop's go.mod: %v %v", err1, err2))
		return r
	}
	logf("scale: generating %d packages in %s", b.plan.ScalePackages, dir)
	t0 := time.Now()
	info, err := genScale(dir, shape{Domains: 10, Services: 10, Total: b.plan.ScalePackages}, goMod, goSum)
	if err != nil {
		fail(err)
		return r
	}
	r.GenerateMS = ms(time.Since(t0))
	r.Packages, r.Reached, r.Depth = info.Packages, info.Reached, info.Depth

	logf("scale: go list -deps ./...")
	for i := 0; i < 3; i++ {
		t := time.Now()
		out, err := b.goCmd(dir, "list", "-deps", "./...").CombinedOutput()
		if err != nil {
			fail(fmt.Errorf("go list: %w\n%s", err, out))
			return r
		}
		r.GoListMS = append(r.GoListMS, ms(time.Since(t)))
	}
	r.GoListMedian = summarize(r.GoListMS, 0).Median

	logf("scale: go build ./cmd/api (cold the first time on a machine)")
	t := time.Now()
	if out, err := b.goCmd(dir, "build", "-o", os.DevNull, "./cmd/api").CombinedOutput(); err != nil {
		fail(fmt.Errorf("go build: %w\n%s", err, out))
		return r
	}
	r.FirstBuildMS = ms(time.Since(t))

	b.scaleGinhotd(r, dir, info, fail)
	if b.ctx.Err() == nil {
		b.scaleAir(r, dir, info, fail)
	}
	if b.ctx.Err() == nil {
		b.scaleFUSE(r, dir, info, fail)
	}
	return r
}

// scaleFUSE measures the module on a bindfs (FUSE) mount whose files are
// edited in the backing directory, where inotify on the mount sees
// nothing (a container's bind mount edited on the host): ginhotd with no
// flag, which polls the mount by itself, and air with poll = true. It
// needs root, /dev/fuse and bindfs; without them it records why.
func (b *bench) scaleFUSE(r *ScaleResult, dir string, info scaleInfo, fail func(error)) {
	if _, err := exec.LookPath("bindfs"); err != nil || os.Geteuid() != 0 {
		fail(fmt.Errorf("FUSE rows skipped: they need root and bindfs (apt-get install bindfs)"))
		return
	}
	mnt := dir + ".fuse"
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		fail(err)
		return
	}
	if out, err := exec.Command("bindfs", dir, mnt).CombinedOutput(); err != nil {
		fail(fmt.Errorf("bindfs: %v: %s", err, out))
		return
	}
	defer func() {
		if out, err := exec.Command("fusermount", "-u", mnt).CombinedOutput(); err != nil {
			fail(fmt.Errorf("fusermount -u %s: %v: %s", mnt, err, out))
		}
		os.Remove(mnt)
	}()

	logf("scale: ginhotd on a FUSE mount")
	in, _, err := b.startTool(toolSpec{Name: "ginhotd (scale, FUSE)", Slug: "scale-fuse-ginhotd"}, mnt, scaleCurrent(dir), 5*time.Minute)
	if err != nil {
		in.stop()
		fail(err)
		return
	}
	in.settle(settleQuiet, settleLimit)
	if idle, err := idleCost(in.pid, b.plan.Idle, b.sleep); err != nil {
		fail(err)
	} else {
		r.FUSEGinhotdIdle = &idle
	}
	for i := 0; i < 3; i++ {
		m := in.events.mark()
		t0 := time.Now()
		if err := editValue(pick(dir, info.Reachable, 50+i), 4000+i); err != nil {
			fail(err)
			break
		}
		e, _, ok := in.events.wait(b.ctx, m, func(e event) bool { return e.Event == "build_start" }, 10*time.Second)
		if !ok {
			fail(fmt.Errorf("FUSE: no build_start for a save behind the mount: timeout"))
			continue
		}
		r.FUSEEventMS = append(r.FUSEEventMS, ms(e.At.Sub(t0)))
		if _, _, ok := in.events.wait(b.ctx, m, func(e event) bool { return e.Event == "ready" }, 3*time.Minute); !ok {
			fail(fmt.Errorf("FUSE: no ready after a save behind the mount: timeout"))
		}
	}
	in.stop()
	if b.ctx.Err() != nil {
		return
	}

	logf("scale: air with poll = true on a FUSE mount")
	in, _, err = b.startTool(toolSpec{Name: "air poll (scale, FUSE)", Slug: "scale-fuse-air", Air: true, Delay: 1000, Poll: true}, mnt, scaleCurrent(dir), 5*time.Minute)
	defer in.stop()
	if err != nil {
		fail(err)
		return
	}
	in.settle(settleQuiet, settleLimit)
	if idle, err := idleCost(in.pid, b.plan.Idle, b.sleep); err != nil {
		fail(err)
	} else {
		r.FUSEAirIdle = &idle
	}
}

// scaleGinhotd measures ginhotd's graph load, decisions, RSS and idle cost
// on the generated module.
func (b *bench) scaleGinhotd(r *ScaleResult, dir string, info scaleInfo, fail func(error)) {
	logf("scale: ginhotd")
	in, d, err := b.startTool(toolSpec{Name: "ginhotd (scale)", Slug: "scale-ginhotd"}, dir, scaleCurrent(dir), 5*time.Minute)
	defer in.stop()
	r.GinhotdReadyMS = ms(d)
	if in != nil && in.events != nil {
		if e, _, ok := in.events.wait(b.ctx, 0, func(e event) bool {
			return e.Event == "skip" && strings.HasPrefix(e.Reason, "package graph loaded")
		}, time.Second); ok {
			r.GraphLoadMS = float64(e.MS)
		}
	}
	if err != nil {
		fail(err)
		return
	}
	if r.GinhotdRSSKB, err = rssKB(in.pid); err != nil {
		fail(err)
	}
	in.settle(settleQuiet, settleLimit)
	n0 := len(in.builds.read())
	for i := 0; i < b.plan.ScaleSaves; i++ {
		mark := in.events.mark()
		t0 := time.Now()
		if err := editValue(pick(dir, info.Unreached, i), 1000+i); err != nil {
			fail(err)
			return
		}
		e, _, ok := in.events.wait(b.ctx, mark, func(e event) bool { return e.Event == "skip" }, 10*time.Second)
		if !ok {
			fail(fmt.Errorf("no skip event for an unreached save: timeout"))
			continue
		}
		r.EventMS = append(r.EventMS, ms(e.At.Sub(t0)))
		r.SkipUS = append(r.SkipUS, e.DecisionUS)
		if err := b.sleep(200 * time.Millisecond); err != nil {
			return
		}
	}
	r.GinhotdUnreachedBuilds, _ = in.buildsSince(n0)
	r.GinhotdUnreachedSaves = b.plan.ScaleSaves
	mark := in.events.mark()
	for i := 0; i < b.plan.ScaleSaves/2; i++ {
		m := in.events.mark()
		t0 := time.Now()
		if err := editValue(pick(dir, info.Reachable, i), 2000+i); err != nil {
			fail(err)
			return
		}
		e, _, ok := in.events.wait(b.ctx, m, func(e event) bool { return e.Event == "build_start" }, 10*time.Second)
		if !ok {
			fail(fmt.Errorf("no build_start event for a reached save: timeout"))
			continue
		}
		r.EventMS = append(r.EventMS, ms(e.At.Sub(t0)))
		r.RebuildUS = append(r.RebuildUS, e.DecisionUS)
		if err := b.sleep(300 * time.Millisecond); err != nil {
			return
		}
	}
	if _, _, ok := in.events.wait(b.ctx, mark, func(e event) bool { return e.Event == "ready" }, 3*time.Minute); !ok {
		fail(fmt.Errorf("no ready event after the reached saves: timeout"))
	}
	var all []float64
	for _, us := range append(append([]int64(nil), r.SkipUS...), r.RebuildUS...) {
		all = append(all, float64(us))
		r.DecisionMax = max(r.DecisionMax, us)
	}
	r.DecisionMed = summarize(all, 0).Median
	in.settle(settleQuiet, settleLimit)
	idle, err := idleCost(in.pid, b.plan.Idle, b.sleep)
	if err != nil {
		fail(err)
		return
	}
	r.GinhotdIdle = &idle
}

// scaleAir measures air's idle cost on the same module.
func (b *bench) scaleAir(r *ScaleResult, dir string, info scaleInfo, fail func(error)) {
	logf("scale: air")
	in, d, err := b.startTool(toolSpec{Name: "air (scale)", Slug: "scale-air", Air: true, Delay: 1000}, dir, scaleCurrent(dir), 5*time.Minute)
	defer in.stop()
	r.AirReadyMS = ms(d)
	if err != nil {
		fail(err)
		return
	}
	in.settle(settleQuiet, settleLimit)
	idle, err := idleCost(in.pid, b.plan.Idle, b.sleep)
	if err != nil {
		fail(err)
		return
	}
	r.AirIdle = &idle
	// Two saves no Gin main reaches, each given time to build.
	n0 := len(in.builds.read())
	for i := 0; i < 2; i++ {
		if err := editValue(pick(dir, info.Unreached, 100+i), 3000+i); err != nil {
			fail(err)
			return
		}
		if _, ok := in.settle(settleQuiet, settleLimit); !ok {
			fail(fmt.Errorf("settling after an unreached save: timeout"))
		}
	}
	r.AirUnreachedBuilds, _ = in.buildsSince(n0)
	r.AirUnreachedSaves = 2
}

// pick returns the i-th file of files, spread over the tree.
func pick(dir string, files []string, i int) string {
	return filepath.Join(dir, files[(i*37)%len(files)])
}

// scaleCurrent is what the generated Gin main serves on /version for the
// module as it is on disk now.
func scaleCurrent(dir string) string {
	return fmt.Sprint(scaleValue(dir))
}

// scaleValue computes what cmd/api's F calls sum to from the Value
// constants: the imports form a tree, so every package the first half of the
// domains holds adds its Value once.
func scaleValue(dir string) int {
	sum := 0
	ents, _ := os.ReadDir(filepath.Join(dir, "internal"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	half := len(names) / 2
	re := regexp.MustCompile(`(?m)^const Value = (\d+)$`)
	for _, d := range names[:half] {
		_ = filepath.WalkDir(filepath.Join(dir, "internal", d), func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(p, ".go") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			if m := re.FindSubmatch(b); m != nil {
				v, _ := strconv.Atoi(string(m[1]))
				sum += v
			}
			return nil
		})
	}
	return sum
}
