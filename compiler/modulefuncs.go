package compiler

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Ruby functions of the public modules, in Go. A module's
// lib/puppet/functions cannot run without Ruby (see unknownFunction); the
// few that the modules' own manifests call on every declaration of their
// main classes, and that are small and exactly specified, are built in
// under their module-qualified names, with the module's results.
func init() {
	functions["mysql::password"] = fnMySQLPassword
	functions["postgresql::postgresql_password"] = fnPostgreSQLPassword
	functions["postgresql::postgresql_acls_to_resources_hash"] = fnPostgreSQLACLs
	functions["apache::bool2httpd"] = fnBool2httpd
}

// mysqlHash is a password already in MySQL's native hash form.
var mysqlHash = regexp.MustCompile(`(?m)\*[A-F0-9]{40}$`)

// fnMySQLPassword is puppetlabs-mysql's mysql::password: MySQL's
// mysql_native_password hash, '*' and the upper-case hex of
// SHA1(SHA1(password)); an empty password stays empty and a hash is kept.
func fnMySQLPassword(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	pw, ok := args[0].(string)
	if !ok {
		return nil, cl.paramError("password", "a String", args[0])
	}
	if pw == "" || mysqlHash.MatchString(pw) {
		return pw, nil
	}
	inner := sha1.Sum([]byte(pw))
	outer := sha1.Sum(inner[:])
	return "*" + strings.ToUpper(hex.EncodeToString(outer[:])), nil
}

// fnPostgreSQLPassword is puppetlabs-postgresql's
// postgresql::postgresql_password(username, password): PostgreSQL's md5
// password form, 'md5' and the hex MD5 of the password followed by the
// user name.
func fnPostgreSQLPassword(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	var parts [2]string
	for i, name := range []string{"username", "password"} {
		switch v := args[i].(type) {
		case string:
			if v != "" {
				parts[i] = v
				continue
			}
		case int64:
			parts[i] = strconv.FormatInt(v, 10)
			continue
		}
		return nil, cl.paramError(name, "a value of type String[1] or Integer", args[i])
	}
	sum := md5.Sum([]byte(parts[1] + parts[0]))
	return "md5" + hex.EncodeToString(sum[:]), nil
}

// fnBool2httpd is puppetlabs-apache's apache::bool2httpd(value): 'Off'
// for false, undef or a string containing "false" (any case), 'On' for
// true or a string containing "true", any other scalar as a string.
// Ruby's to_s of an array or hash is Ruby's inspect form, which gapply
// does not reproduce: those are refused rather than printed differently.
func fnBool2httpd(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	switch v := args[0].(type) {
	case nil:
		return "Off", nil
	case bool:
		if v {
			return "On", nil
		}
		return "Off", nil
	case string:
		switch lower := strings.ToLower(v); {
		case strings.Contains(lower, "false"):
			return "Off", nil
		case strings.Contains(lower, "true"):
			return "On", nil
		}
		return v, nil
	case int64, float64:
		return ToString(v), nil
	}
	return nil, cl.errorf("gapply converts only booleans, undef, strings and numbers, got %s", typeName(args[0]))
}

// fnPostgreSQLACLs is puppetlabs-postgresql's
// postgresql::postgresql_acls_to_resources_hash(acls, id, offset): each
// pg_hba.conf line (type database user [address [mask]] method
// [options...]) becomes the parameters of a postgresql::server::pg_hba_rule,
// titled "postgresql class generated rule ID INDEX" and ordered from
// offset. As in the module, INDEX is the position of the first equal
// line, so a repeated line replaces the first one's entry.
func fnPostgreSQLACLs(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 3, 3); err != nil {
		return nil, err
	}
	list, ok := args[0].([]any)
	acls := make([]string, len(list))
	for i, a := range list {
		if acls[i], ok = a.(string); !ok {
			break
		}
	}
	if !ok {
		return nil, cl.paramError("acls", "an Array[String]", args[0])
	}
	id, ok := args[1].(string)
	if !ok || id == "" {
		return nil, cl.paramError("id", "a String[1]", args[1])
	}
	offset, ok := args[2].(int64)
	if !ok || offset < 0 {
		return nil, cl.paramError("offset", "an Integer[0]", args[2])
	}
	out := NewHash()
	for _, acl := range acls {
		index := slices.Index(acls, acl)
		parts := strings.Fields(acl)
		if len(parts) < 4 {
			return nil, cl.errorf("acl line %d does not have enough parts", index)
		}
		rule := NewHash()
		rule.Set("type", parts[0])
		rule.Set("database", parts[1])
		rule.Set("user", parts[2])
		rule.Set("order", fmt.Sprintf("%03d", offset+int64(index)))
		// method is where the auth method is: after the address, and
		// after a mask when the word after the address starts with a digit.
		method := 4
		switch {
		case parts[0] == "local":
			method = 3
		case len(parts) > 4 && parts[4] != "" && parts[4][0] >= '0' && parts[4][0] <= '9':
			rule.Set("address", parts[3]+" "+parts[4])
			method = 5
		default:
			rule.Set("address", parts[3])
		}
		var auth any // undef when the line ends at the address, as in Ruby
		if method < len(parts) {
			auth = parts[method]
		}
		rule.Set("auth_method", auth)
		if len(parts) > method+1 {
			rule.Set("auth_option", strings.Join(parts[method+1:], " "))
		}
		out.Set(fmt.Sprintf("postgresql class generated rule %s %d", id, index), rule)
	}
	return out, nil
}
