package parser

import "github.com/hashicorp/hcl/v2"

// tokKind is the kind of a lexical token. A byte keeps tokens small.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIllegal

	tName     // bare word: foo, foo::bar, ::foo
	tTypeRef  // capitalised name: File, Foo::Bar
	tVariable // $x, $::x, $foo::bar, $0 (text is the name without '$')
	tNumber
	tString   // single-quoted, or double-quoted without interpolation
	tDQString // double-quoted with interpolation (parts)
	tHeredoc
	tRegex

	// keywords
	tAnd
	tCase
	tClass
	tDefault
	tDefine
	tElse
	tElsif
	tFalse
	tFunction
	tIf
	tIn
	tInherits
	tNode
	tOr
	tTrue
	tType
	tUndef
	tUnless

	// punctuation
	tLBrace   // {
	tRBrace   // }
	tLBrack   // [
	tRBrack   // ]
	tLParen   // (
	tRParen   // )
	tComma    // ,
	tSemi     // ;
	tColon    // :
	tDot      // .
	tQMark    // ?
	tPipe     // |
	tAt       // @
	tAtAt     // @@
	tAssign   // =
	tEq       // ==
	tFArrow   // =>
	tPArrow   // +>
	tMatch    // =~
	tNot      // !
	tNe       // !=
	tNoMatch  // !~
	tLt       // <
	tLe       // <=
	tShl      // <<
	tLCollect // <|
	tLLColl   // <<|
	tInEdge   // <-
	tInEdgeS  // <~
	tGt       // >
	tGe       // >=
	tShr      // >>
	tMinus    // -
	tOutEdge  // ->
	tPlus     // +
	tTimes    // *
	tDiv      // /
	tMod      // %
	tOutEdgeS // ~>
	tRCollect // |>
	tRRColl   // |>>
)

var keywords = map[string]tokKind{
	"and": tAnd, "case": tCase, "class": tClass, "default": tDefault, "define": tDefine,
	"else": tElse, "elsif": tElsif, "false": tFalse, "function": tFunction, "if": tIf,
	"in": tIn, "inherits": tInherits, "node": tNode, "or": tOr, "true": tTrue,
	"type": tType, "undef": tUndef, "unless": tUnless,
}

// punctuation in longest-first order within each leading byte, as the lexer
// tries them in sequence.
var puncts = []struct {
	s string
	k tokKind
}{
	{"<<|", tLLColl}, {"|>>", tRRColl},
	{"==", tEq}, {"=>", tFArrow}, {"=~", tMatch}, {"+>", tPArrow}, {"!=", tNe}, {"!~", tNoMatch},
	{"<=", tLe}, {"<<", tShl}, {"<|", tLCollect}, {"<-", tInEdge}, {"<~", tInEdgeS},
	{">=", tGe}, {">>", tShr}, {"->", tOutEdge}, {"~>", tOutEdgeS}, {"|>", tRCollect}, {"@@", tAtAt},
	{"{", tLBrace}, {"}", tRBrace}, {"[", tLBrack}, {"]", tRBrack}, {"(", tLParen}, {")", tRParen},
	{",", tComma}, {";", tSemi}, {":", tColon}, {".", tDot}, {"?", tQMark}, {"|", tPipe},
	{"@", tAt}, {"=", tAssign}, {"!", tNot}, {"<", tLt}, {">", tGt}, {"-", tMinus}, {"+", tPlus},
	{"*", tTimes}, {"/", tDiv}, {"%", tMod},
}

var kindNames = map[tokKind]string{
	tEOF: "end of file", tIllegal: "illegal character", tName: "name", tTypeRef: "type name",
	tVariable: "variable", tNumber: "number", tString: "string", tDQString: "string",
	tHeredoc: "heredoc", tRegex: "regular expression",
}

func init() {
	for s, k := range keywords {
		kindNames[k] = "'" + s + "'"
	}
	for _, p := range puncts {
		kindNames[p.k] = "'" + p.s + "'"
	}
}

func (k tokKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "token"
}

// token is one lexical token. For strings, value holds the processed text of a
// literal string and parts the pieces of an interpolated one.
type token struct {
	// The small fields come first, together, so that they share a word:
	// a manifest has a token every six bytes.
	kind        tokKind
	spaceBefore bool // whitespace or a comment precedes the token
	interp      bool // tHeredoc: body has interpolation parts

	text string // source text; for variables the name without '$'
	rng  hcl.Range

	value  string    // tString, tHeredoc without interpolation, tRegex pattern
	parts  []strPart // tDQString, interpolating tHeredoc
	syntax string    // tHeredoc
}

// strPart is one piece of an interpolated string: literal text, a `$name`
// variable, or the tokens of a `${...}` expression (ending with a tEOF token
// located at the closing brace).
type strPart struct {
	rng     hcl.Range
	text    string
	varName string
	isVar   bool
	toks    []token
	isExpr  bool
}

// describe names a token for "expected X but found Y" messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tName, tTypeRef, tNumber:
		return "'" + t.text + "'"
	case tVariable:
		return "'$" + t.text + "'"
	case tIllegal:
		return "'" + t.text + "'"
	}
	return t.kind.String()
}
