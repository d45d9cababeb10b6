package erb

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// Set makes testHash changeable in place, as the compiler's hash is.
func (h *testHash) Set(k, v any) {
	for i, x := range h.keys {
		if rubyEqual(x, k) {
			h.vals[i] = v
			return
		}
	}
	h.keys, h.vals = append(h.keys, k), append(h.vals, v)
}

// rubyEnv is testEnv with Puppet functions and scope.setvar, as the
// compiler gives them.
func rubyEnv(vars map[string]any) *Env {
	env := testEnv()
	base := env.Var
	env.Var = func(n string) (any, bool) {
		if v, ok := vars[n]; ok {
			return v, true
		}
		return base(n)
	}
	env.Lookup = env.Var
	env.Call = func(name string, args []any) (any, error) {
		if name == "upcase" && len(args) == 1 {
			return strings.ToUpper(args[0].(string)), nil
		}
		return nil, fmt.Errorf("unknown function '%s'", name)
	}
	env.SetVar = func(name string, v any) error { vars[name] = v; return nil }
	env.Regexp = func(src, opts string) (*regexp.Regexp, error) {
		if opts == "i" {
			src = "(?i)" + src
		}
		return regexp.Compile(src)
	}
	return env
}

// TestRubyOfModules: the Ruby the public modules' templates use beyond the
// basics. Expected outputs are what Ruby 3.1's ERB (trim mode '-') prints
// for the same templates.
func TestRubyOfModules(t *testing.T) {
	tests := []struct{ src, want string }{
		// next in a block, bare and with a value for map
		{"<% [1, nil, 3].each do |v| -%>\n<% next if v.nil? -%>\n<%= v %>\n<% end -%>\n", "1\n3\n"},
		{"<%= [1, 2, 3].map { |v| next 0 if v == 2; v }.join(',') %>", "1,0,3"},
		// case/when with values, classes and a regexp; def with case
		{"<% def yn(v)\n case v\n when true then 'yes'\n when false then 'no'\n else v\n end\nend -%>\n<%= yn(true) %> <%= yn(false) %> <%= yn('x') %>", "yes no x"},
		{"<% [1, 'a', :s].each do |v| -%>\n<%= case v when Integer then 'int' when /^a/ then 'A' else 'other' end %>\n<% end -%>\n", "int\nA\nother\n"},
		// Kernel conversions and percent literals
		{"<%= Array(nil).size %> <%= Array('x').join %> <%= Array(@servers).size %> <%= String(5) + 'x' %> <%= Integer('42') + 1 %>", "0 x 2 5x 43"},
		{"<% %w(a b c).each do |s| -%><%= s %>-<% end -%>", "a-b-c-"},
		{"<%= %(x=#{@port}) %>", "x=8080"},
		// regexps: =~, !~, match, MatchData, $1
		{"<%= 'abc' =~ /b/ %> <%= ('abc' =~ /z/).nil? %> <%= 'abc' !~ /z/ %>", "1 true true"},
		{"<% md = /^(\\d+)\\.(\\d+)$/.match('10.20') -%><%= md[2] %> <%= md[1..2].join('+') %>", "20 10+20"},
		{"<% if /^(.*)match$/ =~ 'locationmatch' -%><%= $1.capitalize %><% end -%>", "Location"},
		{"<%= 'Web' =~ /web/i ? 'y' : 'n' %>", "y"},
		// <<, inject, zip, <=> and sort with a block, max
		{"<% a = [] -%><% a << 1 -%><% a << 2 -%><%= a.inspect %> <%= 1 << 4 %>", "[1, 2] 16"},
		{"<%= [1, 2, 3].inject(0) { |s, x| s + x } %> <%= [[1, 'a']].inspect %>", "6 [[1, \"a\"]]"},
		{"<% [1, 2].zip(['a', 'b']).each do |n, s| -%><%= n %><%= s %> <% end -%>", "1a 2b "},
		{"<%= [3, 1, 2].sort { |a, b| b <=> a }.join %> <%= [[1, 'b'], [1, 'a']].sort { |a, b| a <=> b }.inspect %> <%= [2, 9, 4].max %>", "321 [[1, \"a\"], [1, \"b\"]] 9"},
		// sort without a block is <=> too: arrays element by element
		{"<%= [[1, 'b'], [1, 'a'], [0, 'z']].sort.inspect %> <%= {'b' => 2, 'a' => 1}.sort.inspect %>", "[[0, \"z\"], [1, \"a\"], [1, \"b\"]] [[\"a\", 1], [\"b\", 2]]"},
		// if as an expression, assignment in a condition, ||=, @var =
		{"<%= if @enabled then 'on' end %>|<%= if @undef then 'on' end %>", "on|"},
		{"<% if x = @port -%><%= x %><% end -%>", "8080"},
		{"<% v ||= 'd' -%><% v ||= 'e' -%><%= v %>", "d"},
		{"<% @list = Array(@name) -%><% @list[1] ||= 'two' -%><%= @list.join(',') %>", "web,two"},
		// Hash#delete on a local, defined?, predicates without parentheses
		{"<% o = @opts -%><%= o.delete('a') %> <%= o.keys.inspect %> <%= @opts.keys.inspect %>", "x [\"b\"] [\"b\", \"a\"]"},
		{"<%= defined?(@name) %>|<%= defined?(@nothing) %>", "instance-variable|"},
		{"<%= @name.is_a? String %> <%= 'match it'.include? \"match\" %>", "true true"},
		// String#chars; compact!, flatten! and uniq! (nil when nothing changed)
		{"<%= 'ab/é'.chars.inspect %> <%= '/x'.chars.first == '/' %> <%= ''.chars.inspect %>", "[\"a\", \"b\", \"/\", \"é\"] true []"},
		{"<% a = [1, nil, [2, nil]] -%><%= a.compact!.inspect %> <%= a.inspect %> <%= a.compact!.inspect %> <%= a.flatten!.inspect %> <%= a.flatten!.inspect %>", "[1, [2, nil]] [1, [2, nil]] nil [1, 2, nil] nil"},
		{"<% b = [1, 1, 2] -%><%= b.uniq!.inspect %> <%= b.uniq!.inspect %> <%= [nil, [1]].flatten.compact!.inspect %>", "[1, 2] nil [1]"},
		// Puppet functions and scope.setvar
		{"<%= scope.call_function('upcase', ['a']) %><%= scope.function_upcase(['b']) %>", "AB"},
		{"<% scope.setvar('shared', {}) -%><% scope.lookupvar('shared')[:item] = 'x' -%><%= scope['shared'][:item] %>", "x"},
	}
	for _, tt := range tests {
		tpl, err := Parse("t.erb", tt.src)
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		got, err := tpl.Execute(rubyEnv(map[string]any{}))
		if err != nil || got != tt.want {
			t.Errorf("%q:\n got %q, %v\nwant %q", tt.src, got, err, tt.want)
		}
	}
}

// TestRubyOfModulesErrors: what stays outside the subset is a located error.
func TestRubyOfModulesErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"<% next %>", "t.erb:1: 'next' outside a block"},
		{"<%= scope.function_nosuch([]) %>", "t.erb:1: nosuch: unknown function 'nosuch'"},
		{"<%= scope.function_upcase('a') %>", "takes its arguments as one Array"},
		{"\n<% case 1\nwhen Foo then 1\nend %>", "t.erb:3: unsupported Ruby: class Foo"},
		{"<% require 'socket' %>", "t.erb:1: unsupported Ruby: require 'socket'"},
		{"<%= @opts.delete('a') %>", "delete on a hash that is not in a local variable"},
		{"<%= @servers.compact! %>", "t.erb:1: unsupported Ruby: compact! on a value that is not in a local variable"},
	}
	for _, tt := range tests {
		tpl, err := Parse("t.erb", tt.src)
		if err == nil {
			_, err = tpl.Execute(rubyEnv(map[string]any{}))
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.src, err, tt.want)
		}
	}
}
