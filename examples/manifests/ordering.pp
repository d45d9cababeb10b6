# Ordering: metaparameters and chaining arrows decide the order; without
# them, resources are applied in the order they are written. Each step
# appends its name to a log, so the log shows the order: first, second, third.
#
#   gapply -v examples/manifests/ordering.pp && cat /tmp/gapply-example-order/log
$dir = '/tmp/gapply-example-order'

file { $dir:
  ensure => directory,
}

exec { 'third':
  command => "/bin/sh -c 'echo third >> ${dir}/log && touch ${dir}/third'",
  creates => "${dir}/third",
}

exec { 'first':
  command => "/bin/sh -c 'echo first >> ${dir}/log && touch ${dir}/first'",
  creates => "${dir}/first",
  require => File[$dir],
  before  => Exec['second'],
}

exec { 'second':
  command => "/bin/sh -c 'echo second >> ${dir}/log && touch ${dir}/second'",
  creates => "${dir}/second",
}

Exec['second'] -> Exec['third']
