// Package parser reads manifests written in the Puppet language into an abstract
// syntax tree whose every node knows where it came from.
//
// The tree follows the Puppet 7 grammar: a manifest is a sequence of expressions
// (resource declarations, assignments, conditionals and definitions are all
// expressions in Puppet), so the set of node types is one closed interface, Expr,
// plus a few helper nodes (bodies, entries, parameters) that only occur inside a
// particular expression. Positions are hcl.Range values so that diagnostics for
// .pp and .hcl manifests are printed by the same code.
package parser

import "github.com/hashicorp/hcl/v2"

// Node is anything in the tree. Range is the exact source text the node was
// parsed from, used to point diagnostics at it.
type Node interface {
	Range() hcl.Range
}

// Expr is a Puppet expression. The unexported marker keeps the set of expression
// types closed, so a type switch over them in the compiler can be exhaustive.
type Expr interface {
	Node
	exprNode()
}

// Span is embedded by every node to carry its source range.
type Span struct {
	Loc hcl.Range
}

// Range returns the source range of the node.
func (s Span) Range() hcl.Range { return s.Loc }

// Op is an operator, spelled as in the source (for example "+", "=~", "in", "->").
type Op string

// Operators of Unary, Binary and Chain expressions.
const (
	OpNot   Op = "!"
	OpNeg   Op = "-" // unary minus; binary subtraction is OpSub
	OpSplat Op = "*" // unary splat; binary multiplication is OpMul

	OpAdd Op = "+"
	OpSub Op = "-"
	OpMul Op = "*"
	OpDiv Op = "/"
	OpMod Op = "%"
	OpShl Op = "<<"
	OpShr Op = ">>"

	OpEq      Op = "=="
	OpNe      Op = "!="
	OpLt      Op = "<"
	OpGt      Op = ">"
	OpLe      Op = "<="
	OpGe      Op = ">="
	OpMatch   Op = "=~"
	OpNoMatch Op = "!~"
	OpIn      Op = "in"
	OpAnd     Op = "and"
	OpOr      Op = "or"

	// Relationship arrows of Chain. "->" and "<-" order, "~>" and "<~" also
	// notify; the arrow points from the resource applied first.
	OpBefore    Op = "->"
	OpNotify    Op = "~>"
	OpRequire   Op = "<-"
	OpSubscribe Op = "<~"

	// Attribute operators of AttributeOp: set, and append (only in overrides,
	// defaults and collectors).
	OpArrow  Op = "=>"
	OpAppend Op = "+>"
)

// File is a parsed manifest: its top-level expressions in source order.
type File struct {
	Span
	Body []Expr
}

// Block is a brace-delimited sequence of expressions (the body of an if, a case
// option, a class, a lambda...). It is an expression because Puppet evaluates a
// block to the value of its last expression.
type Block struct {
	Span
	Body []Expr
}

// ---- Literals ----------------------------------------------------------------

// String is a string without interpolation: a single-quoted string, a
// double-quoted string without `$`, or a literal piece of an interpolated string.
// Value has escapes already processed.
type String struct {
	Span
	Value string
}

// InterpString is a double-quoted string (or interpolating heredoc) with embedded
// expressions. Parts are *String for literal text and any expression for `$x` or
// `${expr}`; the value is the concatenation of the parts' string forms.
type InterpString struct {
	Span
	Parts []Expr
}

// Heredoc is `@(TAG:syntax/escapes)` text. Value is a *String or, for a quoted
// tag, possibly an *InterpString; margin and chomping are already applied.
// Syntax is the optional `:syntax` name (for example "json"), "" if absent.
type Heredoc struct {
	Span
	Syntax string
	Value  Expr
}

// Number is an integer or a float literal. Text is the source spelling
// ("0x1F", "1.5e3"); exactly one of Int and Float is meaningful, as IsFloat says.
type Number struct {
	Span
	Text    string
	IsFloat bool
	Int     int64
	Float   float64
}

// Boolean is `true` or `false`.
type Boolean struct {
	Span
	Value bool
}

// Undef is the `undef` literal.
type Undef struct {
	Span
}

// Default is the `default` literal (in case options, selectors, node matches).
type Default struct {
	Span
}

// Regex is a `/pattern/` literal. Pattern is the text between the slashes, with
// `\/` turned into `/`; it uses Ruby regular-expression syntax.
type Regex struct {
	Span
	Pattern string
}

// ---- Names and references -----------------------------------------------------

// Variable is `$name`. Name is without the dollar: "x", "::x" (top scope),
// "foo::bar" (qualified), "0" (match variable).
type Variable struct {
	Span
	Name string
}

// QualifiedName is a bare word such as `present`, `file` or `foo::bar`, used as a
// string value, a function or type name, or an attribute name in a query.
type QualifiedName struct {
	Span
	Name string
}

// TypeReference is a capitalised name such as `File`, `Integer` or `Foo::Bar`.
type TypeReference struct {
	Span
	Name string
}

// Access is `target[key, ...]`: indexing (`$h['a']`), slicing, resource
// references (`File['/x']`) and parameterised types (`Array[String, 1]`).
type Access struct {
	Span
	Target Expr
	Keys   []Expr
}

// ---- Collections ----------------------------------------------------------------

// Array is `[a, b, ...]`.
type Array struct {
	Span
	Elems []Expr
}

// Hash is `{k => v, ...}`; Entries keep source order (Puppet hashes are ordered).
type Hash struct {
	Span
	Entries []*HashEntry
}

// HashEntry is one `key => value` of a Hash. A bare-word key is a *QualifiedName.
type HashEntry struct {
	Span
	Key   Expr
	Value Expr
}

// ---- Operators -------------------------------------------------------------------

// Unary is `!x`, `-x` or the splat `*x` (which unfolds an array into arguments,
// case values or selector matches).
type Unary struct {
	Span
	Op      Op
	Operand Expr
}

// Binary is an arithmetic, comparison, match, `in`, `and` or `or` expression.
type Binary struct {
	Span
	Op          Op
	Left, Right Expr
	OpRange     hcl.Range
}

// Assignment is `$x = value`. Target is a *Variable, or an *Array of variables
// for destructuring (`[$a, $b] = [1, 2]`).
type Assignment struct {
	Span
	Target Expr
	Value  Expr
}

// Selector is `subject ? { match => value, ... }`; a `default` match is a *Default.
type Selector struct {
	Span
	Subject Expr
	Cases   []*SelectorCase
}

// SelectorCase is one `match => value` of a Selector.
type SelectorCase struct {
	Span
	Match Expr
	Value Expr
}

// Chain is a relationship between resources: `Left -> Right` (also ~>, <-, <~).
// Chains are left-associative, so `a -> b -> c` is Chain(Chain(a, b), c).
type Chain struct {
	Span
	Op          Op
	Left, Right Expr
	OpRange     hcl.Range
}

// Paren is a parenthesised expression, kept so positions and dumps match the
// source; it evaluates to Inner.
type Paren struct {
	Span
	Inner Expr
}

// ---- Control flow ----------------------------------------------------------------

// If is `if cond { } elsif cond { } else { }`. Else is nil, an *If for an elsif
// (with Elsif set), or a *Block for the else branch.
type If struct {
	Span
	Cond  Expr
	Then  *Block
	Else  Expr
	Elsif bool // this If was written as `elsif` of an enclosing If
}

// Unless is `unless cond { } else { }`; Else is nil or a *Block.
type Unless struct {
	Span
	Cond Expr
	Then *Block
	Else *Block
}

// Case is `case subject { values: { } ... }`.
type Case struct {
	Span
	Subject Expr
	Options []*CaseOption
}

// CaseOption is `v1, v2: { body }`; a `default` value is a *Default.
type CaseOption struct {
	Span
	Values []Expr
	Body   *Block
}

// ---- Calls -----------------------------------------------------------------------

// Call is a function call in one of Puppet's forms:
//
//	f(a, b)               Name "f", Parens
//	include foo, bar      Name "include", no Parens (statement style)
//	$x.each |$v| { }      Receiver $x, Name "each", Lambda
//	Integer('3')          Name "Integer" (a type used as a function: new)
//
// For a method call the receiver is the first argument; it is not repeated in Args.
type Call struct {
	Span
	Receiver  Expr // nil unless method call
	Name      string
	NameRange hcl.Range
	Args      []Expr
	Lambda    *Lambda // nil if none
	Parens    bool
}

// Lambda is `|params| { body }` passed to a call.
type Lambda struct {
	Span
	Params []*Param
	Body   *Block
}

// Param is a parameter of a class, define, function or lambda:
// `[Type] [*]$name [= default]`.
type Param struct {
	Span
	Type      Expr // nil if untyped; a *TypeReference or *Access
	Name      string
	NameRange hcl.Range
	Default   Expr // nil if none
	Captures  bool // `*$rest` captures the remaining arguments (functions, lambdas)
}

// ---- Resources -------------------------------------------------------------------

// ResourceForm says whether a declaration is regular, virtual (`@`) or exported (`@@`).
type ResourceForm int

// Resource forms.
const (
	Regular ResourceForm = iota
	Virtual
	Exported
)

func (f ResourceForm) String() string {
	switch f {
	case Virtual:
		return "virtual"
	case Exported:
		return "exported"
	}
	return "regular"
}

// ResourceDecl is `type { title: attr => value, ...; title2: ... }`. Type is the
// lower-case type name as written ("file", "foo::bar", or "class" for a
// resource-like class declaration).
type ResourceDecl struct {
	Span
	Form      ResourceForm
	Type      string
	TypeRange hcl.Range
	Bodies    []*ResourceBody
}

// ResourceBody is one `title: ops` of a declaration. Title is any expression
// (usually a string, a variable or an array of titles).
type ResourceBody struct {
	Span
	Title Expr
	Ops   []*AttributeOp
}

// AttributeOp is `name => value`, `name +> value` or the splat `* => $hash`
// (Splat set, Name empty).
type AttributeOp struct {
	Span
	Name      string
	NameRange hcl.Range
	Op        Op
	Value     Expr
	Splat     bool
}

// ResourceDefaults is `File { attr => value }`: defaults for the type in scope.
type ResourceDefaults struct {
	Span
	Type *TypeReference
	Ops  []*AttributeOp
}

// ResourceOverride is `File['/x'] { attr => value }`: Target is the reference
// expression (usually an *Access).
type ResourceOverride struct {
	Span
	Target Expr
	Ops    []*AttributeOp
}

// Collector is `Type <| query |>` (virtual) or `Type <<| query |>>` (exported),
// with an optional `{ attr => value }` override block. Query is nil when empty;
// attribute names in it are *QualifiedName.
type Collector struct {
	Span
	Type     *TypeReference
	Exported bool
	Query    Expr
	Ops      []*AttributeOp
}

// ---- Definitions -----------------------------------------------------------------

// ClassDef is `class name(params) inherits parent { body }`.
type ClassDef struct {
	Span
	Name      string
	NameRange hcl.Range
	Params    []*Param
	Parent    string // "" if no inherits
	Body      *Block
}

// DefineDef is `define name(params) { body }`: a defined resource type.
type DefineDef struct {
	Span
	Name      string
	NameRange hcl.Range
	Params    []*Param
	Body      *Block
}

// NodeDef is `node 'a', /re/, default { body }`. Matches are *String, *Regex,
// *Default, or *QualifiedName for an unquoted (possibly dotted) host name.
type NodeDef struct {
	Span
	Matches []Expr
	Body    *Block
}

// FunctionDef is `function name(params) >> ReturnType { body }`.
type FunctionDef struct {
	Span
	Name       string
	NameRange  hcl.Range
	Params     []*Param
	ReturnType Expr // nil if not declared
	Body       *Block
}

// TypeAlias is `type Name = TypeExpr`.
type TypeAlias struct {
	Span
	Name      string
	NameRange hcl.Range
	Type      Expr
}

// Bad stands in for source that could not be parsed; a diagnostic was reported
// for it. The compiler never sees it in a tree that parsed without errors.
type Bad struct {
	Span
}

func (*Block) exprNode()            {}
func (*String) exprNode()           {}
func (*InterpString) exprNode()     {}
func (*Heredoc) exprNode()          {}
func (*Number) exprNode()           {}
func (*Boolean) exprNode()          {}
func (*Undef) exprNode()            {}
func (*Default) exprNode()          {}
func (*Regex) exprNode()            {}
func (*Variable) exprNode()         {}
func (*QualifiedName) exprNode()    {}
func (*TypeReference) exprNode()    {}
func (*Access) exprNode()           {}
func (*Array) exprNode()            {}
func (*Hash) exprNode()             {}
func (*Unary) exprNode()            {}
func (*Binary) exprNode()           {}
func (*Assignment) exprNode()       {}
func (*Selector) exprNode()         {}
func (*Chain) exprNode()            {}
func (*Paren) exprNode()            {}
func (*If) exprNode()               {}
func (*Unless) exprNode()           {}
func (*Case) exprNode()             {}
func (*Call) exprNode()             {}
func (*ResourceDecl) exprNode()     {}
func (*ResourceDefaults) exprNode() {}
func (*ResourceOverride) exprNode() {}
func (*Collector) exprNode()        {}
func (*ClassDef) exprNode()         {}
func (*DefineDef) exprNode()        {}
func (*NodeDef) exprNode()          {}
func (*FunctionDef) exprNode()      {}
func (*TypeAlias) exprNode()        {}
func (*Bad) exprNode()              {}
