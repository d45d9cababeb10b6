// Package facts gathers the facts a manifest sees, with Facter-compatible
// names: structured facts ($facts['os']['family'], $facts['networking']['fqdn'])
// and the legacy flat ones that old manifests still use ($osfamily, $fqdn).
//
// External facts override core facts, in Facter's order: files in a facts.d
// directory (*.json, *.yaml, *.txt with key=value lines), then FACTER_<name>
// environment variables (the name is lower-cased, as Facter does).
package facts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gapply/gapply/catalog"
	"golang.org/x/sys/unix"
)

// Options says where to look for facts; the zero value gathers the core
// facts and FACTER_ environment variables.
type Options struct {
	// ExternalDirs are facts.d directories read in order; later files win.
	ExternalDirs []string
	// Environ is the environment to read FACTER_<name> variables from;
	// nil means os.Environ().
	Environ []string
	// Root is prepended to system files such as /etc/os-release (tests).
	Root string
}

// Gather returns the node's facts. An unreadable or malformed external
// fact file is an error naming the file: a manifest must not silently see
// a different machine.
func Gather(opts Options) (map[string]any, error) {
	f := core(opts.Root)
	for _, dir := range opts.ExternalDirs {
		ext, err := readDir(dir)
		if err != nil {
			return nil, err
		}
		for k, v := range ext {
			f[k] = v
		}
	}
	env := opts.Environ
	if env == nil {
		env = os.Environ()
	}
	for k, v := range fromEnviron(env) {
		f[k] = v
	}
	return f, nil
}

func core(root string) map[string]any {
	hostname, _ := os.Hostname()
	host, domain, _ := strings.Cut(hostname, ".")
	fqdn := hostname
	if domain == "" {
		domain = dnsDomain(root)
		if domain != "" {
			fqdn = host + "." + domain
		}
	}
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	kernelRelease := unix.ByteSliceToString(uts.Release[:])
	hardware := unix.ByteSliceToString(uts.Machine[:])
	arch := debianArch(hardware)

	osFacts := osRelease(root)
	osFacts["architecture"] = arch
	osFacts["hardware"] = hardware

	networking := networkFacts()
	networking["hostname"] = host
	networking["domain"] = domain
	networking["fqdn"] = fqdn
	virtual, isVirtual := virtualFacts(root)
	identity := map[string]any{"uid": int64(os.Getuid()), "gid": int64(os.Getgid()), "privileged": os.Getuid() == 0}
	if u, err := user.Current(); err == nil {
		identity["user"] = u.Username
	}
	if g, err := user.LookupGroupId(strconv.Itoa(os.Getgid())); err == nil {
		identity["group"] = g.Name
	}
	release, _ := osFacts["release"].(map[string]any)
	f := map[string]any{
		"os":            osFacts,
		"networking":    networking,
		"identity":      identity,
		"kernel":        "Linux",
		"kernelrelease": kernelRelease,
		"architecture":  arch,
		"hardwaremodel": hardware,
		"processors":    processorFacts(root, runtime.NumCPU()),
		"path":          os.Getenv("PATH"),
		"timezone":      timezone(),
		"virtual":       virtual,
		"is_virtual":    isVirtual,
		// Legacy flat facts, still read by many manifests.
		"hostname":        host,
		"domain":          domain,
		"fqdn":            fqdn,
		"osfamily":        osFacts["family"],
		"operatingsystem": osFacts["name"],
	}
	if release != nil {
		f["operatingsystemrelease"] = release["full"]
		f["operatingsystemmajrelease"] = release["major"]
	}
	if mem := memoryFacts(root); mem != nil {
		f["memory"] = mem
	}
	if up := uptimeFacts(root); up != nil {
		f["system_uptime"] = up
	}
	for legacy, key := range map[string]string{"ipaddress": "ip", "ipaddress6": "ip6", "macaddress": "mac"} {
		if v, ok := networking[key]; ok {
			f[legacy] = v
		}
	}
	return f
}

// osFamilies maps os-release IDs to Facter's os.name and os.family.
var osFamilies = map[string][2]string{
	"debian":    {"Debian", "Debian"},
	"ubuntu":    {"Ubuntu", "Debian"},
	"linuxmint": {"LinuxMint", "Debian"},
	"raspbian":  {"Raspbian", "Debian"},
	"rhel":      {"RedHat", "RedHat"},
	"centos":    {"CentOS", "RedHat"},
	"rocky":     {"Rocky", "RedHat"},
	"almalinux": {"AlmaLinux", "RedHat"},
	"fedora":    {"Fedora", "RedHat"},
	"amzn":      {"Amazon", "RedHat"},
	"sles":      {"SLES", "Suse"},
	"opensuse":  {"OpenSuSE", "Suse"},
	"arch":      {"Archlinux", "Archlinux"},
	"alpine":    {"Alpine", "Alpine"},
	"gentoo":    {"Gentoo", "Gentoo"},
}

func osRelease(root string) map[string]any {
	kv := map[string]string{}
	if data, err := os.ReadFile(filepath.Join(root, "/etc/os-release")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if ok {
				kv[k] = strings.Trim(v, `"'`)
			}
		}
	}
	name, family := "Linux", "Linux"
	if nf, ok := osFamilies[kv["ID"]]; ok {
		name, family = nf[0], nf[1]
	} else {
		for _, like := range strings.Fields(kv["ID_LIKE"]) {
			if nf, ok := osFamilies[like]; ok {
				family = nf[1]
				name = kv["NAME"]
				break
			}
		}
	}
	full := kv["VERSION_ID"]
	// Debian's point release lives in /etc/debian_version, as Facter reads it.
	if kv["ID"] == "debian" {
		if data, err := os.ReadFile(filepath.Join(root, "/etc/debian_version")); err == nil {
			v := strings.TrimSpace(string(data))
			if v != "" && v[0] >= '0' && v[0] <= '9' {
				full = v
			}
		}
	}
	major, minor, _ := strings.Cut(full, ".")
	release := map[string]any{"full": full, "major": major}
	if minor != "" {
		release["minor"] = minor
	}
	return map[string]any{
		"name":    name,
		"family":  family,
		"release": release,
		"distro": map[string]any{
			"id":          name,
			"codename":    kv["VERSION_CODENAME"],
			"description": kv["PRETTY_NAME"],
			"release":     release,
		},
	}
}

// dnsDomain reads the search or domain line of resolv.conf, Facter's
// fallback when the hostname has no domain.
func dnsDomain(root string) string {
	data, err := os.ReadFile(filepath.Join(root, "/etc/resolv.conf"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "domain" {
			return fields[1]
		}
	}
	return ""
}

func debianArch(machine string) string {
	switch machine {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i686", "i386":
		return "i386"
	}
	return machine
}

func fromEnviron(env []string) map[string]any {
	f := map[string]any{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || len(k) <= len("FACTER_") || !strings.EqualFold(k[:len("FACTER_")], "FACTER_") {
			continue
		}
		f[strings.ToLower(k[len("FACTER_"):])] = v
	}
	return f
}

// readDir reads the external facts of one facts.d directory. A missing
// directory has no facts.
func readDir(dir string) (map[string]any, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	f := map[string]any{}
	for _, name := range names {
		path := filepath.Join(dir, name)
		var parse func([]byte) (map[string]any, error)
		switch filepath.Ext(name) {
		case ".json":
			parse = parseJSON
		case ".yaml", ".yml":
			parse = parseYAML
		case ".txt":
			parse = parseText
		default:
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		m, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("external facts %s: %w", path, err)
		}
		for k, v := range m {
			f[k] = v
		}
	}
	return f, nil
}

func parseJSON(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return catalog.NormalizeNumbers(m).(map[string]any), nil
}

func parseYAML(data []byte) (map[string]any, error) {
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return catalog.NormalizeNumbers(m).(map[string]any), nil
}

// parseText reads key=value lines; blank lines and # comments are skipped.
func parseText(data []byte) (map[string]any, error) {
	m := map[string]any{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want key=value", n)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m, sc.Err()
}
