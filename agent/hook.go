package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Inventory is the HCL file the post-receive hook reads: the nodes to
// trigger, each with the URL of its trigger listener and its environment.
//
//	secret_file = "/etc/gapply/trigger.secret"
//	node "web1.example.com" {
//	  url         = "http://web1.example.com:8150"
//	  environment = "production"
//	}
type Inventory struct {
	// SecretFile holds the secret shared with the nodes' listeners; a node
	// may name its own.
	SecretFile  string  `hcl:"secret_file,optional"`
	Concurrency int     `hcl:"concurrency,optional"`
	Timeout     string  `hcl:"timeout,optional"`
	Nodes       []*Node `hcl:"node,block"`

	timeout time.Duration
}

// Node is one node of the inventory.
type Node struct {
	Name        string    `hcl:"name,label"`
	URL         string    `hcl:"url"`
	Environment string    `hcl:"environment,optional"`
	SecretFile  string    `hcl:"secret_file,optional"`
	DefRange    hcl.Range `hcl:",def_range"`
}

// Inventory defaults.
const (
	DefaultInventoryFile = "/etc/gapply/inventory.hcl"
	DefaultConcurrency   = 20
	DefaultHookTimeout   = 60 * time.Second
)

// LoadInventory parses and checks an inventory file. The returned map
// holds the file's source for printing diagnostics.
func LoadInventory(path string) (*Inventory, map[string][]byte, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read inventory", Detail: err.Error()}}
	}
	sources := map[string][]byte{path: src}
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, sources, diags
	}
	inv := &Inventory{}
	diags = append(diags, gohcl.DecodeBody(file.Body, nil, inv)...)
	if diags.HasErrors() {
		return nil, sources, diags
	}
	attrs, _ := file.Body.JustAttributes()
	at := func(name string) *hcl.Range {
		if a, ok := attrs[name]; ok {
			return a.Expr.Range().Ptr()
		}
		return nil
	}
	bad := func(summary, detail string, rng *hcl.Range) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng})
	}
	if inv.Concurrency == 0 {
		inv.Concurrency = DefaultConcurrency
	}
	if inv.Concurrency < 0 {
		bad("Invalid concurrency", "concurrency must be positive.", at("concurrency"))
	}
	inv.timeout = DefaultHookTimeout
	if inv.Timeout != "" {
		if inv.timeout, err = time.ParseDuration(inv.Timeout); err != nil || inv.timeout <= 0 {
			bad("Invalid timeout", fmt.Sprintf("%q is not a positive duration (like \"60s\").", inv.Timeout), at("timeout"))
		}
	}
	seen := map[string]hcl.Range{}
	for _, n := range inv.Nodes {
		if first, dup := seen[n.Name]; dup {
			bad("Duplicate node", fmt.Sprintf("Node %q is already defined at %s.", n.Name, first), n.DefRange.Ptr())
		}
		seen[n.Name] = n.DefRange
		if n.Environment == "" {
			n.Environment = DefaultEnvironment
		}
		if !strings.HasPrefix(n.URL, "http://") && !strings.HasPrefix(n.URL, "https://") {
			bad("Invalid node URL", fmt.Sprintf("Node %q: url must start with http:// or https://, got %q.", n.Name, n.URL), n.DefRange.Ptr())
		}
		n.URL = strings.TrimRight(n.URL, "/")
		if n.SecretFile == "" {
			n.SecretFile = inv.SecretFile
		}
		if n.SecretFile == "" {
			bad("No secret for node", fmt.Sprintf("Node %q has no secret_file, and the inventory names none.", n.Name), n.DefRange.Ptr())
		}
	}
	return inv, sources, diags
}

// DefaultEnvironment is the environment of an inventory node that names none.
const DefaultEnvironment = "production"

// Push is one branch a push updated.
type Push struct {
	Environment string
	Commit      string
}

// ParsePushes reads a post-receive hook's standard input ("<old> <new>
// <ref>" per line) and returns the branches pushed. Deleted branches and
// other refs (tags, notes) are left out: nothing converges to them.
func ParsePushes(r io.Reader) ([]Push, error) {
	var pushes []Push
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("post-receive input: want \"<old> <new> <ref>\", got %q", sc.Text())
		}
		branch, ok := strings.CutPrefix(fields[2], "refs/heads/")
		if !ok || strings.Trim(fields[1], "0") == "" {
			continue
		}
		pushes = append(pushes, Push{Environment: branch, Commit: fields[1]})
	}
	return pushes, sc.Err()
}

// Node outcomes in a fan-out.
const (
	StateConverged   = "converged"   // the node's last run applied the pushed commit
	StateTriggered   = "triggered"   // the node accepted the trigger (without waiting)
	StateRefused     = "refused"     // the node refused the pushed commit (compile, verify)
	StateUnreachable = "unreachable" // the trigger was not accepted
	StateTimeout     = "timeout"     // no convergence before the timeout
)

// Result is one node's outcome.
type Result struct {
	Node        string
	Environment string
	Want        string // the pushed commit
	State       string
	Commit      string // the commit the node runs
	Detail      string
	Elapsed     time.Duration
}

// FanOutOptions control a fan-out.
type FanOutOptions struct {
	// Wait polls each node until its run applied the pushed commit (or
	// refused it), rather than returning once the trigger is accepted.
	Wait bool
	// Poll is the interval between status requests when waiting.
	Poll time.Duration
	// Concurrency and Timeout override the inventory's when positive.
	Concurrency int
	Timeout     time.Duration
}

// FanOut triggers every node whose environment was pushed, at most
// Concurrency at once, each within Timeout, and returns one result per
// node, sorted by node name.
func FanOut(ctx context.Context, pushes []Push, inv *Inventory, opts FanOutOptions) []Result {
	want := map[string]string{}
	for _, p := range pushes {
		want[p.Environment] = p.Commit
	}
	conc, timeout := inv.Concurrency, inv.timeout
	if opts.Concurrency > 0 {
		conc = opts.Concurrency
	}
	if opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	secrets := map[string][]byte{}
	var results []Result
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(conc, 1))
	for _, n := range inv.Nodes {
		commit, ok := want[n.Environment]
		if !ok {
			continue
		}
		secret, ok := secrets[n.SecretFile]
		if !ok {
			data, err := os.ReadFile(n.SecretFile)
			if err != nil {
				results = append(results, Result{Node: n.Name, Environment: n.Environment, Want: commit, State: StateUnreachable, Detail: err.Error()})
				continue
			}
			secret = []byte(strings.TrimSpace(string(data)))
			secrets[n.SecretFile] = secret
		}
		wg.Add(1)
		go func(n *Node, secret []byte) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := triggerNode(ctx, n, commit, secret, timeout, opts)
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		}(n, secret)
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].Node < results[j].Node })
	return results
}

func triggerNode(ctx context.Context, n *Node, commit string, secret []byte, timeout time.Duration, opts FanOutOptions) Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := Result{Node: n.Name, Environment: n.Environment, Want: commit}
	done := func(state string, st NodeStatus, detail string) Result {
		res.State, res.Commit, res.Detail, res.Elapsed = state, st.Commit, detail, time.Since(start)
		return res
	}
	c := &Client{Secret: secret, HTTP: &http.Client{Timeout: timeout}}
	st, err := c.Trigger(ctx, n.URL, n.Environment, commit)
	if err != nil {
		return done(StateUnreachable, st, err.Error())
	}
	if !opts.Wait {
		return done(StateTriggered, st, "")
	}
	tick := time.NewTicker(opts.Poll)
	defer tick.Stop()
	for {
		switch {
		case st.Commit == commit && !st.Running:
			return done(StateConverged, st, st.Status)
		case st.FailedCommit == commit && !st.Running:
			return done(StateRefused, st, firstLine(st.Error))
		}
		select {
		case <-ctx.Done():
			detail := "no run applied the commit in time"
			if st.Error != "" {
				detail = firstLine(st.Error)
			}
			return done(StateTimeout, st, detail)
		case <-tick.C:
		}
		if s, err := c.Status(ctx, n.URL); err == nil {
			st = s
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// WriteTable prints the results as a table, one node per line.
func WriteTable(w io.Writer, results []Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tENVIRONMENT\tSTATE\tCOMMIT\tSECONDS\tDETAIL")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%s\n", r.Node, r.Environment, r.State, orDash(short(r.Commit)), r.Elapsed.Seconds(), r.Detail)
	}
	tw.Flush() //nolint:errcheck // the writer's errors surface to the caller's caller
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// OK reports whether every node converged (or, without waiting, accepted).
func OK(results []Result) bool {
	for _, r := range results {
		if r.State != StateConverged && r.State != StateTriggered {
			return false
		}
	}
	return true
}
