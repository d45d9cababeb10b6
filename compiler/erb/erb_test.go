package erb

import (
	"strings"
	"testing"
)

// testHash is an insertion-ordered hash like the compiler's.
type testHash struct{ keys, vals []any }

func (h *testHash) Keys() []any   { return h.keys }
func (h *testHash) Values() []any { return h.vals }
func (h *testHash) Get(k any) (any, bool) {
	for i, x := range h.keys {
		if rubyEqual(x, k) {
			return h.vals[i], true
		}
	}
	return nil, false
}

func testEnv() *Env {
	vars := map[string]any{
		"name":    "web",
		"port":    int64(8080),
		"servers": []any{"b.example.com", "a.example.com"},
		"opts":    &testHash{keys: []any{"b", "a"}, vals: []any{int64(2), "x"}},
		"empty":   "",
		"undef":   nil,
		"ratio":   1.5,
		"enabled": true,
	}
	scope := map[string]any{"ntp::servers": []any{"0.pool", "1.pool"}, "::fqdn": "h.example.com", "name": "web"}
	return &Env{
		Var:     func(n string) (any, bool) { v, ok := vars[n]; return v, ok },
		Lookup:  func(n string) (any, bool) { v, ok := scope[n]; return v, ok },
		NewHash: func(k, v []any) any { return &testHash{keys: k, vals: v} },
	}
}

func render(t *testing.T, src string) (string, error) {
	t.Helper()
	tpl, err := Parse("t.erb", src)
	if err != nil {
		return "", err
	}
	return tpl.Execute(testEnv())
}

// TestRender: the expected outputs are what Ruby's ERB (trim mode '-', as
// Puppet uses it) prints for the same templates and values.
func TestRender(t *testing.T) {
	tests := []struct{ src, want string }{
		{"Hello <%= @name %>!\n", "Hello web!\n"},
		{"<%# comment -%>\nport <%= @port %>\n", "port 8080\n"},
		{"<% if @port > 1024 -%>\nhigh\n<% elsif @port > 0 -%>\nlow\n<% else -%>\nnone\n<% end -%>\n", "high\n"},
		{"<% unless @empty.empty? -%>\nset\n<% end -%>\nx\n", "x\n"},
		{"<% @servers.sort.each do |s| -%>\nserver <%= s %>\n<% end -%>\n", "server a.example.com\nserver b.example.com\n"},
		{"  <%- @servers.each_with_index do |s, i| -%>\n<%= i %>=<%= s %>\n  <%- end -%>\n", "0=b.example.com\n1=a.example.com\n"},
		{"<% @opts.keys.sort.each do |k| -%>\n<%= k %>=<%= @opts[k] %>\n<% end -%>\n", "a=x\nb=2\n"},
		{"<% @opts.each_pair { |k, v| -%>\n<%= k %>:<%= v %>\n<% } -%>\n", "b:2\na:x\n"},
		{"<%= scope['ntp::servers'].join(',') %> <%= scope.lookupvar('::fqdn') %>", "0.pool,1.pool h.example.com"},
		{"<%= @servers.map { |s| s.upcase }.join(' ') %>", "B.EXAMPLE.COM A.EXAMPLE.COM"},
		{"<%= @servers.select { |s| s.include?('a.') }.first %>", "a.example.com"},
		{"<%= \"#{@name}:#{@port}\" %> <%= @undef.nil? %> <%= @undef || 'dflt' %>", "web:8080 true dflt"},
		{"<%= @enabled ? 'yes' : 'no' %> <%= @port.to_s.size %> <%= '42abc'.to_i + 1 %>", "yes 4 43"},
		{"<%= @servers %> <%= @opts %>", `["b.example.com", "a.example.com"] {"b"=>2, "a"=>"x"}`},
		{"<%= [1, [2, [3]]].flatten.uniq.last %> <%= [3, 1, 3].uniq.size %> <%= @ratio %>", "3 2 1.5"},
		{"<%= @port.is_a?(Integer) %> <%= @name.is_a?(Array) %> <%= @opts.values.length %>", "true false 2"},
		{"<% x = @port + 1 -%>\n<%= x %> <%= '  pad  '.strip %>|<%= 'A'.downcase %>\n", "8081 pad|a\n"},
		{"<%% literal %>\n", "<% literal %>\n"},
		{"<%= 'x' if @enabled %><%= 'y' unless @enabled %>", "x"},
	}
	for _, tt := range tests {
		got, err := render(t, tt.src)
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.src, got, tt.want)
		}
	}
}

// TestUnsupported: everything outside the subset is an error naming the
// template, the line and the construct.
func TestUnsupported(t *testing.T) {
	tests := []struct{ src, want string }{
		{"a\n<%= @name.gsub('a', 'b') %>", "t.erb:2: unsupported Ruby: method 'gsub' for String"},
		{"<% while true %>x<% end %>", "t.erb:1: unsupported Ruby: 'while'"},
		{"\n\n<%= name %>", "t.erb:3: unsupported Ruby: 'name' is not a variable of the template"},
		{"<%= $x %>", "t.erb:1: unsupported Ruby: global variable $x"},
		{"<%= File.read('/etc/passwd') %>", "t.erb:1: unsupported Ruby: constant File"},
		{"<%= @name =~ 'x' %>", "t.erb:1: unsupported Ruby: =~ with String (a Regexp is needed)"},
		{"<% if @port %>\nx\n", "t.erb:1: 'if' without a matching 'end'"},
		{"<%= @name", "t.erb:1: unterminated tag"},
		{"<%= Puppet::Util %>", "t.erb:1: unsupported Ruby: constant or method path"},
		{"<%= scope.function_foo(['x']) %>", "t.erb:1: unsupported Ruby: scope.function_foo"},
		{"<%= @undef.empty? %>", "t.erb:1: undefined method 'empty?' for NilClass"},
	}
	for _, tt := range tests {
		_, err := render(t, tt.src)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.src, err, tt.want)
		}
	}
}

// FuzzERB: parsing and rendering any input returns output or an error,
// never panics nor hangs.
func FuzzERB(f *testing.F) {
	for _, s := range []string{"<%= @name %>", "<% @servers.each do |s| -%>\n<%= s %>\n<% end -%>",
		"<% if @port > 1 %>a<% elsif x %>b<% else %>c<% end %>", "<%= \"#{@name}\" %>", "<%= {'a' => 1}['a'] %>",
		"<%= @opts.select { |k, v| v == 2 }.keys %>", "<%- x = [1,2] -%><%= x.map { |y| y * 2 } %>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Parse("f.erb", src)
		if err != nil {
			return
		}
		_, _ = tpl.Execute(testEnv())
	})
}
