package facts

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSystemFactsFromProc(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "proc/meminfo"), "MemTotal:       24684092 kB\nMemFree:        21327956 kB\nMemAvailable:   24021040 kB\nSwapTotal:       1048576 kB\nSwapFree:         524288 kB\n")
	writeFile(t, filepath.Join(root, "proc/cpuinfo"), "processor\t: 0\nmodel name\t: AMD EPYC\nphysical id\t: 0\nflags\t\t: fpu hypervisor\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\nphysical id\t: 0\n")
	writeFile(t, filepath.Join(root, "proc/uptime"), "183721.83 1541.84\n")
	writeFile(t, filepath.Join(root, "etc/os-release"), "ID=debian\n")

	f, err := Gather(Options{Root: root, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"system": map[string]any{
			"total_bytes": int64(25276510208), "available_bytes": int64(24597544960), "used_bytes": int64(678965248),
			"total": "23.54 GiB", "available": "22.91 GiB", "used": "647.51 MiB", "capacity": "2.69%",
		},
		"swap": map[string]any{
			"total_bytes": int64(1073741824), "available_bytes": int64(536870912), "used_bytes": int64(536870912),
			"total": "1.00 GiB", "available": "512.00 MiB", "used": "512.00 MiB", "capacity": "50.00%",
		},
	}
	if diff := cmp.Diff(want, f["memory"]); diff != "" {
		t.Errorf("memory (-want +got):\n%s", diff)
	}
	wantCPU := map[string]any{"count": int64(2), "models": []any{"AMD EPYC", "AMD EPYC"}, "physicalcount": int64(1)}
	if diff := cmp.Diff(wantCPU, f["processors"]); diff != "" {
		t.Errorf("processors (-want +got):\n%s", diff)
	}
	wantUp := map[string]any{"seconds": int64(183721), "hours": int64(51), "days": int64(2), "uptime": "2 days"}
	if diff := cmp.Diff(wantUp, f["system_uptime"]); diff != "" {
		t.Errorf("system_uptime (-want +got):\n%s", diff)
	}
	if f["virtual"] != "kvm" || f["is_virtual"] != true {
		t.Errorf("a hypervisor CPU flag: virtual = %v, is_virtual = %v", f["virtual"], f["is_virtual"])
	}
}

func TestUptimeString(t *testing.T) {
	for secs, want := range map[int64]string{59: "0 minutes", 17 * 60: "17 minutes", 2*3600 + 5*60: "2:05 hours", 86400 + 5: "1 day", 3 * 86400: "3 days"} {
		if got := uptimeString(secs); got != want {
			t.Errorf("uptimeString(%d) = %q, want %q", secs, got, want)
		}
	}
}

func TestVirtualFacts(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    string
		virtual bool
	}{
		{"physical", map[string]string{"proc/cpuinfo": "flags : fpu sse\n"}, "physical", false},
		{"docker", map[string]string{".dockerenv": ""}, "docker", true},
		{"lxc cgroup", map[string]string{"proc/1/cgroup": "0::/lxc/c1\n"}, "lxc", true},
		{"vmware dmi", map[string]string{"sys/class/dmi/id/product_name": "VMware Virtual Platform\n"}, "vmware", true},
		{"kvm dmi", map[string]string{"sys/class/dmi/id/sys_vendor": "QEMU\n"}, "kvm", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, filepath.Join(root, name), content)
			}
			got, isVirtual := virtualFacts(root)
			if got != tt.want || isVirtual != tt.virtual {
				t.Errorf("virtualFacts = %q, %v; want %q, %v", got, isVirtual, tt.want, tt.virtual)
			}
		})
	}
}

func TestNetworkingOfThisMachine(t *testing.T) {
	n := networkFacts()
	ifaces, ok := n["interfaces"].(map[string]any)
	if !ok || ifaces["lo"] == nil {
		t.Fatalf("networking.interfaces lacks lo: %v", n["interfaces"])
	}
	lo := ifaces["lo"].(map[string]any)
	if lo["ip"] != "127.0.0.1" || lo["netmask"] != "255.0.0.0" || lo["network"] != "127.0.0.0" {
		t.Errorf("lo = %v", lo)
	}
	if p, ok := n["primary"].(string); ok {
		if p == "lo" || n["ip"] != ifaces[p].(map[string]any)["ip"] {
			t.Errorf("primary %q: networking.ip %v", p, n["ip"])
		}
	}
}

// BenchmarkGather measures gathering every fact (the limit: under
// 50 ms): go test -bench Gather ./facts
func BenchmarkGather(b *testing.B) {
	for b.Loop() {
		if _, err := Gather(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
