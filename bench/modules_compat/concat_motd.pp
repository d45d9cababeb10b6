# A message of the day built from a header and two ordered parts.
concat { '/tmp/gapply-compat-motd':
  ensure => present,
  mode   => '0644',
}

concat::fragment { 'motd-header':
  target  => '/tmp/gapply-compat-motd',
  content => "Welcome\n",
  order   => '01',
}

concat::fragment { 'motd-footer':
  target  => '/tmp/gapply-compat-motd',
  content => "Managed by configuration management\n",
  order   => '99',
}
