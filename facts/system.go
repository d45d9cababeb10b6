package facts

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// networkFacts are Facter's networking.interfaces, with the primary
// interface's addresses at the top of networking (ip, ip6, mac, netmask,
// network, primary). The primary interface is the first non-loopback one,
// by name, that has an IPv4 address.
func networkFacts() map[string]any {
	out := map[string]any{}
	ifaces, err := net.Interfaces()
	if err != nil {
		return out
	}
	sort.Slice(ifaces, func(i, j int) bool { return ifaces[i].Name < ifaces[j].Name })
	interfaces := map[string]any{}
	primary := ""
	for _, ifc := range ifaces {
		f := map[string]any{"mtu": int64(ifc.MTU)}
		if len(ifc.HardwareAddr) > 0 {
			f["mac"] = ifc.HardwareAddr.String()
		}
		addrs, _ := ifc.Addrs()
		var bindings, bindings6 []any
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			b := map[string]any{
				"address": n.IP.String(),
				"netmask": net.IP(n.Mask).String(),
				"network": n.IP.Mask(n.Mask).String(),
			}
			if n.IP.To4() != nil {
				bindings = append(bindings, b)
				if _, set := f["ip"]; !set {
					f["ip"], f["netmask"], f["network"] = b["address"], b["netmask"], b["network"]
				}
				continue
			}
			bindings6 = append(bindings6, b)
			// Facter prefers a global address for ip6.
			if _, set := f["ip6"]; !set || !n.IP.IsLinkLocalUnicast() && f["scope6"] == "link" {
				f["ip6"], f["netmask6"], f["network6"] = b["address"], b["netmask"], b["network"]
				f["scope6"] = "global"
				if n.IP.IsLinkLocalUnicast() {
					f["scope6"] = "link"
				} else if n.IP.IsLoopback() {
					f["scope6"] = "host"
				}
			}
		}
		if bindings != nil {
			f["bindings"] = bindings
		}
		if bindings6 != nil {
			f["bindings6"] = bindings6
		}
		interfaces[ifc.Name] = f
		if primary == "" && ifc.Flags&net.FlagLoopback == 0 && f["ip"] != nil {
			primary = ifc.Name
		}
	}
	out["interfaces"] = interfaces
	if primary != "" {
		out["primary"] = primary
		p := interfaces[primary].(map[string]any)
		for _, k := range []string{"ip", "ip6", "mac", "mtu", "netmask", "netmask6", "network", "network6", "scope6"} {
			if v, ok := p[k]; ok {
				out[k] = v
			}
		}
	}
	return out
}

// memoryFacts reads /proc/meminfo into Facter's memory.system.
func memoryFacts(root string) map[string]any {
	data, err := os.ReadFile(filepath.Join(root, "/proc/meminfo"))
	if err != nil {
		return nil
	}
	kb := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 {
			n, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil {
				kb[strings.TrimSuffix(fields[0], ":")] = n
			}
		}
	}
	total, available := kb["MemTotal"]*1024, kb["MemAvailable"]*1024
	if total == 0 {
		return nil
	}
	used := total - available
	system := map[string]any{
		"total_bytes":     total,
		"available_bytes": available,
		"used_bytes":      used,
		"total":           humanBytes(total),
		"available":       humanBytes(available),
		"used":            humanBytes(used),
		"capacity":        fmt.Sprintf("%.2f%%", float64(used)*100/float64(total)),
	}
	mem := map[string]any{"system": system}
	if swap := kb["SwapTotal"] * 1024; swap > 0 {
		free := kb["SwapFree"] * 1024
		mem["swap"] = map[string]any{
			"total_bytes":     swap,
			"available_bytes": free,
			"used_bytes":      swap - free,
			"total":           humanBytes(swap),
			"available":       humanBytes(free),
			"used":            humanBytes(swap - free),
			"capacity":        fmt.Sprintf("%.2f%%", float64(swap-free)*100/float64(swap)),
		}
	}
	return mem
}

// humanBytes formats a size as Facter does: "23.54 GiB".
func humanBytes(n int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.2f %s", f, units[i])
}

// processorFacts reads /proc/cpuinfo: count, models and physicalcount.
func processorFacts(root string, count int) map[string]any {
	p := map[string]any{"count": int64(count)}
	data, err := os.ReadFile(filepath.Join(root, "/proc/cpuinfo"))
	if err != nil {
		return p
	}
	var models []any
	physical := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			models = append(models, strings.TrimSpace(v))
		case "physical id":
			physical[strings.TrimSpace(v)] = true
		}
	}
	if models != nil {
		p["models"] = models
		p["count"] = int64(len(models))
	}
	if len(physical) > 0 {
		p["physicalcount"] = int64(len(physical))
	} else if models != nil {
		p["physicalcount"] = int64(1)
	}
	return p
}

// uptimeFacts reads /proc/uptime into Facter's system_uptime.
func uptimeFacts(root string) map[string]any {
	data, err := os.ReadFile(filepath.Join(root, "/proc/uptime"))
	if err != nil {
		return nil
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return nil
	}
	secs, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return nil
	}
	s := int64(secs)
	return map[string]any{
		"seconds": s,
		"hours":   s / 3600,
		"days":    s / 86400,
		"uptime":  uptimeString(s),
	}
}

// uptimeString is Facter's uptime: "3 days", "1 day", "2:05 hours",
// "17 minutes".
func uptimeString(s int64) string {
	switch days, hours, minutes := s/86400, s/3600, s/60%60; {
	case days == 1:
		return "1 day"
	case days > 1:
		return fmt.Sprintf("%d days", days)
	case hours >= 1:
		return fmt.Sprintf("%d:%02d hours", hours, minutes)
	default:
		return fmt.Sprintf("%d minutes", minutes)
	}
}

// virtualFacts tells, as Facter's virtual and is_virtual, whether this is
// a container or a virtual machine and which: containers first (they may
// run inside a VM), then the hypervisor named by DMI, then the CPU's
// hypervisor flag.
func virtualFacts(root string) (string, bool) {
	read := func(p string) string {
		data, _ := os.ReadFile(filepath.Join(root, p))
		return string(data)
	}
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(root, p))
		return err == nil
	}
	switch {
	case exists("/.dockerenv"):
		return "docker", true
	case exists("/run/.containerenv"):
		return "podman", true
	}
	cgroup := read("/proc/1/cgroup")
	switch {
	case strings.Contains(cgroup, "/docker"):
		return "docker", true
	case strings.Contains(cgroup, "/lxc"):
		return "lxc", true
	case strings.Contains(cgroup, "kubepods"):
		return "docker", true
	}
	dmi := strings.ToLower(read("/sys/class/dmi/id/product_name") + " " + read("/sys/class/dmi/id/sys_vendor"))
	for _, vm := range []struct{ match, name string }{
		{"kvm", "kvm"}, {"qemu", "kvm"}, {"vmware", "vmware"}, {"virtualbox", "virtualbox"},
		{"hvm domu", "xenhvm"}, {"xen", "xenu"}, {"microsoft corporation", "hyperv"},
		{"google", "gce"}, {"amazon ec2", "kvm"}, {"openstack", "openstack"},
	} {
		if strings.Contains(dmi, vm.match) {
			return vm.name, true
		}
	}
	if cpu := read("/proc/cpuinfo"); strings.Contains(cpu, " hypervisor") {
		return "kvm", true
	}
	return "physical", false
}

// timezone is the local zone's abbreviation, as Facter gives it ("UTC",
// "CET").
func timezone() string {
	name, _ := time.Now().Zone()
	return name
}
