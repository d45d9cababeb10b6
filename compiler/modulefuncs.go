package compiler

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"regexp"
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
