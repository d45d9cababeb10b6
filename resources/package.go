package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// The package type installs and removes Debian packages. Providers:
//
//   - apt (the default): apt-get install/remove/purge, non-interactive, and
//     apt-cache policy for the candidate version when ensure => latest;
//   - dpkg: dpkg -i of a local .deb named by source, dpkg -r, dpkg --purge.
//
// State comes from the shared dpkg database cache (dpkg.go): every package
// resource of a run shares one dpkg-query. The current ensure is the
// installed version, "absent" when only configuration files remain, or
// "purged" when dpkg has nothing of the package, as in Puppet.
func init() {
	Register(&Type{
		Name: "package",
		Params: []Param{
			{Name: "name", Namevar: true}, {Name: "ensure"}, {Name: "provider"}, {Name: "source"},
			{Name: "install_options"}, {Name: "uninstall_options"},
		},
		New:       newPackage,
		Instances: packageInstances,
	})
}

type packageRes struct {
	name      string
	ensure    string // present, absent, purged, latest, or a version
	provider  string
	source    string
	installOp []string
	removeOp  []string
}

func newPackage(r *catalog.Resource) (Resource, error) {
	p := newSysParams(r)
	k := &packageRes{
		name:      p.namevar(),
		ensure:    p.strOr("ensure", "present"),
		provider:  p.enum("provider", "apt", "apt", "dpkg"),
		source:    p.strOr("source", ""),
		installOp: p.list("install_options"),
		removeOp:  p.list("uninstall_options"),
	}
	if k.ensure == "installed" {
		k.ensure = "present"
	}
	if strings.ContainsAny(k.ensure, " \t\n") || k.ensure == "" || strings.EqualFold(k.ensure, "held") {
		p.failf("ensure", "Invalid value %q. Valid values are present, installed, absent, purged, latest, or a version.", k.ensure)
	}
	if k.name == "" || strings.ContainsAny(k.name, " \t\n=/") {
		p.failf("name", "Invalid package name %q", k.name)
	}
	if k.source != "" && !absPath(k.source) {
		p.failf("source", "source must be an absolute path to a .deb, not %q", k.source)
	}
	if k.provider == "dpkg" && k.source == "" && k.installs() {
		p.failf("source", "You cannot install dpkg packages without a source")
	}
	if k.provider == "dpkg" && k.isVersion() {
		p.failf("ensure", "The dpkg provider installs the version in source; use ensure => present or latest")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *packageRes) installs() bool { return k.ensure != "absent" && k.ensure != "purged" }

func (k *packageRes) isVersion() bool {
	switch k.ensure {
	case "present", "absent", "purged", "latest":
		return false
	}
	return true
}

// current returns the package's ensure as Puppet shows it.
func (k *packageRes) current(ctx context.Context) (string, error) {
	db, err := dpkgDatabase(ctx)
	if err != nil {
		return "", err
	}
	p, ok := db[k.name]
	switch {
	case ok && p.installed():
		return p.Version, nil
	case ok && p.configOnly():
		return "absent", nil
	}
	return "purged", nil
}

// latest returns the version ensure => latest means: apt's candidate, or
// the version inside the dpkg provider's source.
func (k *packageRes) latest(ctx context.Context) (string, error) {
	if k.provider == "dpkg" || k.source != "" {
		out, err := runSys(ctx, "dpkg-deb", "--showformat=${Version}", "--show", k.source)
		return strings.TrimSpace(out), err
	}
	out, err := runSys(ctx, "apt-cache", "policy", k.name)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate:"); ok {
			v = strings.TrimSpace(v)
			if v == "(none)" {
				break
			}
			return v, nil
		}
	}
	return "", fmt.Errorf("no version of package %s is available from the configured apt sources", k.name)
}

func (k *packageRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	cur, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	isInstalled := cur != "absent" && cur != "purged"
	want := k.ensure
	switch k.ensure {
	case "present":
		if isInstalled {
			return nil, nil
		}
	case "absent":
		if !isInstalled {
			return nil, nil
		}
		return []Change{{Property: "ensure", From: cur, To: "absent", Message: "removed"}}, nil
	case "purged":
		if cur == "purged" {
			return nil, nil
		}
		return []Change{{Property: "ensure", From: cur, To: "purged", Message: "purged"}}, nil
	case "latest":
		if want, err = k.latest(ctx); err != nil {
			return nil, err
		}
		if cur == want {
			return nil, nil
		}
	default:
		if cur == want {
			return nil, nil
		}
	}
	if !isInstalled {
		return []Change{{Property: "ensure", From: cur, To: want, Message: "created"}}, nil
	}
	return []Change{{Property: "ensure", From: cur, To: want,
		Message: "ensure changed " + ppQuote(cur) + " to " + ppQuote(want)}}, nil
}

func (k *packageRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	defer invalidateDpkg()
	switch k.ensure {
	case "absent":
		return k.remove(ctx, false)
	case "purged":
		return k.remove(ctx, true)
	}
	return k.install(ctx, changes[0].To)
}

// aptEnv keeps apt and debconf from asking questions.
var aptEnv = []string{"DEBIAN_FRONTEND=noninteractive"}

func (k *packageRes) install(ctx context.Context, version string) error {
	if k.provider == "dpkg" {
		_, err := runSys(ctx, "dpkg", append(append([]string{"--force-confold"}, k.installOp...), "-i", k.source)...)
		return err
	}
	target := k.name
	switch {
	case k.source != "":
		target = k.source
	case k.isVersion() || k.ensure == "latest":
		target = k.name + "=" + version
	}
	args := append([]string{"-q", "-y", "-o", "DPkg::Options::=--force-confold"}, k.installOp...)
	_, err := sysRunner.Run(ctx, aptEnv, "apt-get", append(args, "install", target)...)
	return err
}

func (k *packageRes) remove(ctx context.Context, purge bool) error {
	if k.provider == "dpkg" {
		op := "-r"
		if purge {
			op = "--purge"
		}
		_, err := runSys(ctx, "dpkg", append(append([]string{}, k.removeOp...), op, k.name)...)
		return err
	}
	op := "remove"
	if purge {
		op = "purge"
	}
	args := append([]string{"-q", "-y"}, k.removeOp...)
	_, err := sysRunner.Run(ctx, aptEnv, "apt-get", append(args, op, k.name)...)
	return err
}

// packageInstances lists installed packages for `gapply resource package`.
func packageInstances(ctx context.Context) ([]*catalog.Resource, error) {
	db, err := dpkgDatabase(ctx)
	if err != nil {
		return nil, err
	}
	var out []*catalog.Resource
	for _, name := range sortedKeys(db) {
		p := db[name]
		if !p.installed() {
			continue
		}
		out = append(out, &catalog.Resource{Type: "Package", Title: name,
			Parameters: map[string]any{"ensure": p.Version, "provider": "apt"}})
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return sortedCopy(keys)
}
