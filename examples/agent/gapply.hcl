# /etc/gapply/gapply.hcl: the agent's configuration.
# Every setting has a default (see the README's "Configuration" table) and can
# also be given as a flag (--repository-url) or an environment variable
# (GAPPLY_REPOSITORY_URL); flag beats environment beats this file.

environment = "production"          # the branch to apply
manifest    = "manifests"           # relative to the repository's top
modulepath  = "modules:site"
schedule    = "*/30 * * * *"
splay       = "5m"

repository {
  url     = "https://git.example.com/ops/site.git"
  mirrors = ["https://git-mirror.example.com/ops/site.git"]
  depth   = 1
  # Only commits signed by one of these keys are applied.
  keyring    = "/etc/gapply/trusted-keys.asc"
  username   = "gapply"
  token_file = "/etc/gapply/git-token"
}

trigger {
  listen      = "0.0.0.0:8150"
  secret_file = "/etc/gapply/trigger.secret"
}

report {
  keep            = 20
  prometheus_file = "/var/lib/prometheus/node-exporter/gapply.prom"
}
