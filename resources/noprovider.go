//lint:file-ignore ST1005 error messages are Puppet's, which are capitalised

package resources

import (
	"context"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// NoProviderError is the failure of a resource whose type the compiler
// knew (a module's type written in Ruby, such as puppetlabs-firewall's
// firewall) but which gapply cannot manage: its providers are Ruby code.
// Puppet 7 fails such a resource when none of the type's providers suits
// the node, skips its dependents, and says once per type at the end of
// the run "Could not find a suitable provider for firewall"; the engine
// does the same when a check returns this error.
type NoProviderError struct {
	Type string // lower case, as Puppet names it: "firewall"
}

func (e *NoProviderError) Error() string {
	return "Could not find a suitable provider for " + e.Type
}

// NoProvider returns the resource for r when no registered type
// implements r's type. Building the catalog does not fail for it, so one
// resource of a module's Ruby type does not stop the rest of the run; it
// fails when its turn comes, in a no-op run too.
func NoProvider(r *catalog.Resource) Resource {
	return noProvider{typ: strings.ToLower(r.Type)}
}

type noProvider struct{ typ string }

func (n noProvider) Check(context.Context, *Env) ([]Change, error) {
	return nil, &NoProviderError{Type: n.typ}
}

// Apply is never reached (Check always fails); it refuses all the same.
func (n noProvider) Apply(context.Context, *Env, []Change) error {
	return &NoProviderError{Type: n.typ}
}
