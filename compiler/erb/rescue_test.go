package erb

import (
	"strings"
	"testing"
)

// bindEnv holds the values of the begin/rescue, IPAddr and sort_by cases:
// listen addresses as haproxy's listen and frontend resources give them
// (a hash of address:port to options, a list of addresses to validate).
func bindEnv() *Env {
	return rubyEnv(map[string]any{
		"bind": &testHash{
			keys: []any{"10.0.0.2:80", "*:8080", "10.0.0.10:443", "10.0.0.2:81", "/run/h.sock", "192.168.1.1:80"},
			vals: []any{[]any{"ssl", "crt x"}, nil, "ssl", []any{}, "mode 600", "x"},
		},
		"ips": []any{"10.0.0.1", "::1", "fe80::1%eth0", "host.example.com", "*", "10.0.0.256", "01.2.3.4", "bad name!"},
	})
}

// TestRescueIPAddrSortBy: require 'ipaddr', IPAddr.new, begin/rescue/
// else/ensure and sort_by with array keys, as haproxy's _bind.erb uses
// them. Expected outputs are what Ruby 3.1's ERB (trim mode '-') prints
// for the same templates and values.
func TestRescueIPAddrSortBy(t *testing.T) {
	tests := []struct{ src, want string }{
		{`<% require 'ipaddr' -%><%= IPAddr.new('10.1.2.3').ipv4? %> <%= IPAddr.new('2001:DB8:0:0:0:0:0:1').ipv6? %> <%= IPAddr.new('2001:0db8:0000:0000:0000:0000:0000:0001') %> <%= IPAddr.new('10.1.2.3/8') %> <%= IPAddr.new('::ffff:10.0.0.1') %> <%= IPAddr.new('1:0:0:2:0:0:0:3').to_s %> <%= IPAddr.new('[::]').inspect %> <%= IPAddr.new('10.9.8.7/255.255.0.0').inspect %>`,
			"true true 2001:db8::1 10.0.0.0 ::ffff:10.0.0.1 1:0:0:2::3 #<IPAddr: IPv6:0000:0000:0000:0000:0000:0000:0000:0000/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff> #<IPAddr: IPv4:10.9.0.0/255.255.0.0>"},
		{`<% @ips.each do |ip| -%>
<% begin
  IPAddr.new(ip)
  ok = true
rescue ArgumentError => e
  ok = false
end -%>
<%= ip %> <%= ok %> <%= e.nil? ? '-' : e.message %>
<% end -%>`,
			"10.0.0.1 true -\n::1 true -\nfe80::1%eth0 true -\nhost.example.com false invalid address: \n* false invalid address: \n10.0.0.256 false invalid address: \n01.2.3.4 false zero-filled number in IPv4 address is ambiguous: \nbad name! false invalid address: \n"},
		{`<% @bind.sort_by { |address_port, bind_params|
    md = /^((\d+)\.(\d+)\.(\d+)\.(\d+))?(.*)/.match(address_port)
    [ (md[1] ? md[2..5].inject(0){ |addr, octet| (addr << 8) + octet.to_i } : -1), md[6] ]
  }.map do |address_port, bind_params| -%>
  bind <%= address_port -%> <%= Array(bind_params).join(" ") %>
<% end -%>`,
			"  bind *:8080 \n  bind /run/h.sock mode 600\n  bind 10.0.0.2:80 ssl crt x\n  bind 10.0.0.2:81 \n  bind 10.0.0.10:443 ssl\n  bind 192.168.1.1:80 x\n"},
		{`<%= [3, 1, 2].sort_by { |x| -x }.inspect %> <%= {'b' => 1, 'a' => 2}.sort_by { |k, v| k }.inspect %> <%= [[2, 'b'], [1, 'z'], [2, 'a']].sort_by { |x| x }.inspect %>`,
			"[3, 2, 1] [[\"a\", 2], [\"b\", 1]] [[1, \"z\"], [2, \"a\"], [2, \"b\"]]"},
		{`<% x = begin
  Integer('12x')
rescue TypeError
  'type'
rescue IPAddr::InvalidAddressError, ArgumentError => err
  "arg: #{err.message}"
else
  'none'
ensure
  @name = 'ensured'
end -%><%= x %> <%= @name %>`,
			"arg: invalid value for Integer(): \"12x\" ensured"},
		{`<%= begin; 1 + 1; rescue; 'r'; else; 'e'; end %> <%= begin; 1 / 0; rescue => e; e.inspect; end %> <%= begin; nil[0]; rescue NoMethodError => e; 'nm'; end %> <%= begin; IPAddr.new(nil); rescue IPAddr::AddressFamilyError => e; e.message; end %>`,
			"e #<ZeroDivisionError: divided by 0> nm address family must be specified"},
		{`a<% begin -%>
b<%= 'x' + 1 %>
<% rescue => e -%>
c <%= e.is_a?(TypeError) %> <%= e.is_a?(StandardError) %> <%= e.is_a?(ArgumentError) %>
<% ensure -%>
d
<% end -%>`,
			"abc true true false\nd\n"},
		{`<%= begin; IPAddr.new('10.0.0.1/33'); rescue IPAddr::InvalidAddressError => e; e.message; end %> <%= begin; IPAddr.new('10.0.0.1/255.0.255.0'); rescue ArgumentError => e; e.message; end %> <%= begin; IPAddr.new('1.2.3.4/08'); rescue => e; e.message; end %> <%= begin; IPAddr.new('::1/129'); rescue => e; e.message; end %>`,
			"invalid length: 167772161 invalid mask 255.0.255.0: 167772161 leading zeros in prefix invalid length: 1"},
	}
	for _, tt := range tests {
		tpl, err := Parse("t.erb", tt.src)
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		got, err := tpl.Execute(bindEnv())
		if err != nil || got != tt.want {
			t.Errorf("%q:\n got %q, %v\nwant %q", tt.src, got, err, tt.want)
		}
	}
}

// TestRescueLimits: rescue catches only what Ruby raises; what is outside
// the subset, unknown libraries and classes stay located errors, and an
// exception no clause names goes on.
func TestRescueLimits(t *testing.T) {
	tests := []struct{ src, want string }{
		{"<% require 'json' %>", "t.erb:1: unsupported Ruby: require 'json'"},
		{"\n<% begin; @name.gsub('a', 'b'); rescue => e; 'r'; end %>", "t.erb:2: unsupported Ruby: method 'gsub' for String"},
		{"<% begin; 1; rescue Foo::Bar; end %>", "t.erb:1: unsupported Ruby: exception class Foo::Bar"},
		{"<%= begin; 1 / 0; rescue TypeError; 'no'; end %>", "t.erb:1: divided by 0"},
		{"<%= begin; 1; rescue; 2; else; 1 / 0; end %>", "t.erb:1: divided by 0"},
		{"<%= 1 / 0 rescue 2 %>", "t.erb:1: unsupported Ruby: 'rescue' modifier"},
		{"<% begin %>x", "t.erb:1: 'begin' without a matching 'end'"},
		{"<%= begin; scope.function_nosuch([]); rescue => e; 'r'; end %>", "nosuch: unknown function"},
		{"<%= IPAddr.new('10.0.0.1', 2) %>", "t.erb:1: unsupported Ruby: IPAddr.new with 2 arguments"},
		{"<%= IPAddr.new('10.0.0.300') %>", "t.erb:1: invalid address: "},
		{"<%= [[1], ['a']].sort_by { |x| x }.inspect %>", "t.erb:1: comparison of Array with Array failed"},
	}
	for _, tt := range tests {
		tpl, err := Parse("t.erb", tt.src)
		if err == nil {
			_, err = tpl.Execute(bindEnv())
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.src, err, tt.want)
		}
	}
}
