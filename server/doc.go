// Package server is gapply's catalog mode on the master side: an HTTPS
// server that compiles catalogs for agents from a git checkout of the
// manifests and serves Puppet's v3 API, and, when given a CA, Puppet's CA
// API. Masters keep no state worth keeping (checkouts, a catalog cache,
// reports), so any number of them can stand behind a load balancer.
//
// # Endpoints and who may use them
//
// The rules are Puppet Server's default auth.conf:
//
//	GET  /status/v1/simple                          anyone ("running", for health checks)
//	POST /puppet/v3/catalog/:node?environment=E     the node itself, or an admin
//	GET  /puppet/v3/file_metadata[s]/modules/M/P    any node with a certificate
//	GET  /puppet/v3/file_content/modules/M/P        any node with a certificate
//	PUT  /puppet/v3/report/:node                    the node itself, or an admin
//	GET  /puppet-ca/v1/certificate/:name|ca         anyone
//	GET|PUT /puppet-ca/v1/certificate_request/:name anyone (the agent's bootstrap)
//	GET  /puppet-ca/v1/certificate_revocation_list/ca  anyone
//	GET|PUT|DELETE /puppet-ca/v1/certificate_status/:name  admins
//	GET  /puppet-ca/v1/certificate_statuses/any     admins
//
// Admins are certificate names (or "*.domain" globs) in Options.Admins. A
// node is the common name of its certificate. Anything else is 403, with a
// message that names who was refused what.
//
// # Identity
//
// The TLS handshake asks for a client certificate but does not require one
// (the CA endpoints serve agents that have none yet). A certificate that is
// presented must chain to the CA and must not be in the CRL, or the
// handshake fails: the CRL file is checked for changes on every handshake
// and reloaded, so a revocation takes effect at the next connection.
//
// Behind a balancer that terminates TLS, the connection is the balancer's,
// and the client's identity comes in headers (Options.Proxy): the verify
// status (X-Client-Verify: SUCCESS), the subject DN (X-Client-DN, RFC 2253 or
// "/CN=x" form) and optionally the certificate itself (X-Client-Cert,
// URL-escaped PEM, which the master checks against its own CRL too). These
// headers are believed only from the configured proxy addresses; a request
// from any other address that carries one of them is refused with 403,
// because anyone could otherwise claim to be any node.
//
// # Catalogs
//
// An environment is a branch of Options.Repo, checked out with gitsync under
// CodeDir/<environment> and fetched again when a request finds it older
// than SyncEvery (the fetch runs in the background; agents keep getting the
// commit in use, and a failed fetch keeps the last good commit). Each commit
// is parsed once. The manifest is <tree>/manifests, modules are in
// <tree>/modules, as in a Puppet environment. The catalog's version is the
// commit id. Compiled catalogs are cached by (environment, commit, node,
// SHA-256 of the facts), least recently used out first; concurrent requests
// for the same key share one compile. Facts that change on every run (uptime,
// say) defeat the cache: that is the price of compiling with exactly what
// the agent sent.
//
// Request bodies are limited to Options.MaxBody (8 MiB by default), headers
// to 64 KiB, and every connection has read, write and idle timeouts.
package server
