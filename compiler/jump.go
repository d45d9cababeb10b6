package compiler

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
)

// next, break and return leave the body that runs them, as in Puppet:
// next ends a lambda's call with a value (the body of a class, define or
// function too), break ends the iteration calling the lambda, return ends
// the function (or class, or define) with a value. The function returns a
// *jump as its error; evalBlock stops at it and keeps it in
// compiler.jump, so that every enclosing block (if, case, ...) stops as
// well, up to the body that takes it: callLambda for next and break,
// userFunction and the class and define bodies for return (endBody).
type jump struct {
	kind  string // "next", "break" or "return"
	value any
	at    hcl.Range
}

func (j *jump) Error() string { return j.kind + "() from context where this is illegal" }

func init() {
	for _, kind := range []string{"next", "break", "return"} {
		functions[kind] = func(cl *call, args []any) (any, error) {
			if err := cl.arity(args, 0, 1); err != nil {
				return nil, err
			}
			j := &jump{kind: kind, at: cl.expr.Range()}
			if len(args) == 1 {
				j.value = args[0]
			}
			return nil, j
		}
	}
}

// takeJump returns the pending jump, if any, and clears it.
func (c *compiler) takeJump() *jump {
	j := c.jump
	c.jump = nil
	return j
}

// endBody ends the body of a class, define or node: return and next end
// it early, which is allowed there; break is an error. top says the body
// is a manifest's, where none of them is allowed.
func (c *compiler) endBody(top bool) {
	j := c.takeJump()
	if j != nil && (top || j.kind == "break") {
		c.report(errorf(j.at, "%s", j.Error()), j.at)
	}
}

// isBreak reports whether err is a break, which ends an iteration without
// failing it.
func isBreak(err error) bool {
	var j *jump
	return errors.As(err, &j) && j.kind == "break"
}
