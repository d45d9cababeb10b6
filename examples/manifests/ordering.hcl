# Ordering, in HCL: metaparameters decide the order; without them,
# resources are applied in the order they are written. Each step appends
# its name to a log, so the log shows the order: first, second, third.
# The same catalog as ordering.pp.
#
#   gapply -v examples/manifests/ordering.hcl && cat /tmp/gapply-example-order/log
locals {
  dir = "/tmp/gapply-example-order"
}

file "/tmp/gapply-example-order" {
  ensure = "directory"
}

exec "third" {
  command = "/bin/sh -c 'echo third >> ${local.dir}/log && touch ${local.dir}/third'"
  creates = "${local.dir}/third"
}

exec "first" {
  command = "/bin/sh -c 'echo first >> ${local.dir}/log && touch ${local.dir}/first'"
  creates = "${local.dir}/first"
  require = [file[local.dir]]
  before  = [exec["second"]]
}

# HCL has no chaining arrows: before (or require on the other side) says
# the same as Exec['second'] -> Exec['third'].
exec "second" {
  command = "/bin/sh -c 'echo second >> ${local.dir}/log && touch ${local.dir}/second'"
  creates = "${local.dir}/second"
  before  = [exec["third"]]
}
