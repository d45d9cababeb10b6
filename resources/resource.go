// Package resources holds gapply's resource types and their providers.
//
// Every type is one file: a Type value registered in init with its schema
// (the parameters it accepts) and a constructor that turns a catalog resource
// into a Resource. The engine knows nothing of any type: it calls Check, and
// when something differs and the run is not a no-op, Apply with the changes
// Check returned. Optional abilities are small separate interfaces found by
// type assertion (Refresher).
package resources

import (
	"context"
	"fmt"
	"sort"

	"github.com/charmbracelet/log"

	"github.com/gapply/gapply/catalog"
)

// Param describes one parameter of a resource type.
type Param struct {
	Name string
	// Required parameters must be given (the namevar never is: it
	// defaults to the title).
	Required bool
	// Namevar marks the parameter that identifies the resource on the
	// system (path for file, command for exec); it defaults to the title.
	Namevar bool
}

// Type is a resource type: its schema and the constructor of its instances.
type Type struct {
	Name   string // lower case, as written in manifests: "file"
	Params []Param
	// New validates r (values, combinations of parameters) and builds the
	// resource. It must not touch the system: validation of a whole catalog
	// happens before anything is applied.
	New func(r *catalog.Resource) (Resource, error)
	// Instances, when set, lists the instances of the type that exist on
	// the machine, with their current state as parameters, for
	// `gapply resource TYPE`.
	Instances func(ctx context.Context) ([]*catalog.Resource, error)
	// DescribeOne, when set, returns the current state of the instance
	// named title, for types that cannot list their instances (a file is
	// described by its path): `gapply resource TYPE TITLE`.
	DescribeOne func(ctx context.Context, title string) (*catalog.Resource, error)
}

// Resource is one managed resource.
type Resource interface {
	// Check reads the current state and returns how it differs from the
	// desired state; no changes means in sync. Check never modifies the
	// system.
	Check(ctx context.Context, env *Env) ([]Change, error)
	// Apply makes the changes that Check returned.
	Apply(ctx context.Context, env *Env, changes []Change) error
}

// Refresher is implemented by resources that react to refresh events
// (notify, subscribe, ~>), such as exec and service.
type Refresher interface {
	Refresh(ctx context.Context, env *Env) error
}

// Prechecker is implemented by resources whose Check only reads the
// machine's state, without starting a process, so that the engine may run
// it ahead of the resource's turn, on another core, while the run has
// changed nothing yet (see engine's read-ahead). An exec with an unless or
// onlyif command is not one: its command runs when Puppet would run it.
type Prechecker interface {
	Precheckable() bool
}

// Change is one property that differs. From and To are the current and
// desired values; the engine prints them quoted ('0644'), except a list,
// which the resource gives in Puppet's list form (['0']) and which is
// printed as is; Message says what applying it did,
// in Puppet's words ("defined content as '{sha256}...'"); when empty the
// engine prints "changed 'From' to 'To'".
type Change struct {
	Property string
	From, To string
	Message  string
	// Diff is a unified diff of text content, shown with --show-diff.
	Diff string
	// Resource, when set, names the resource the change belongs to when
	// that is not the managed resource itself but one generated from it,
	// as Puppet generates the children of a recursive file: the engine
	// prints "File[/dst/sub/x]/ensure: ..." for it. Empty means the
	// managed resource.
	Resource string
}

// Env is what resources may use from the run around them.
type Env struct {
	// Bucket keeps the previous content of every file that is replaced or
	// removed, so no run can lose data.
	Bucket Bucket
	// Log receives output that a resource reports, such as an exec's
	// output with logoutput. Never nil when set up by the engine.
	Log *log.Logger
	// ModulePath lists the module directories of the run (--modulepath),
	// where a file source puppet:///modules/foo/x is foo/files/x.
	ModulePath []string
	// Catalog is the catalog being applied, read-only, for the few types
	// whose behaviour depends on other resources: a recursive file leaves
	// alone (never purges) the children the catalog manages itself.
	// Nil outside a run.
	Catalog *catalog.Catalog
}

// Bucket stores file contents by checksum before they are overwritten.
type Bucket interface {
	// Backup stores the content of the file at path and returns its
	// checksum ("{sha256}hex").
	Backup(path string) (string, error)
}

// Metaparams are the parameters every type accepts.
var Metaparams = []string{
	"alias", "audit", "before", "loglevel", "noop", "notify", "require",
	"schedule", "stage", "subscribe", "tag",
}

var registry = map[string]*Type{}

// Register adds a type; called from the init function of each type's file.
func Register(t *Type) {
	if _, dup := registry[t.Name]; dup {
		panic(fmt.Sprintf("resources: type %q registered twice", t.Name))
	}
	registry[t.Name] = t
}

// Lookup returns the type with the given lower-case name.
func Lookup(name string) (*Type, bool) {
	t, ok := registry[name]
	return t, ok
}

// Types returns every registered type, sorted by name.
func Types() []*Type {
	ts := make([]*Type, 0, len(registry))
	for _, t := range registry {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts
}

// Namevar returns the name of t's namevar parameter, or "name".
func (t *Type) Namevar() string {
	for _, p := range t.Params {
		if p.Namevar {
			return p.Name
		}
	}
	return "name"
}

// Param returns the parameter named name, if t has one.
func (t *Type) Param(name string) (Param, bool) {
	for _, p := range t.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}
