# Refresh, in HCL: an exec with refreshonly runs only when something it
# subscribes to changes. Change the content and apply again to see it run.
# The same catalog as refresh.pp.
#
#   gapply -v examples/manifests/refresh.hcl
locals {
  conf = "/tmp/gapply-example-refresh.conf"
}

file "/tmp/gapply-example-refresh.conf" {
  content = "listen 8080\n"
}

exec "reload-service" {
  command     = "/bin/echo reloading after ${local.conf} changed"
  refreshonly = true
  logoutput   = true
  subscribe   = [file[local.conf]]
}
