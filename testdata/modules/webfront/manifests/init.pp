# webfront: an Apache-like module written for gapply's tests: a
# concat-built ports file, vhosts as a define adding fragments, stdlib
# functions, an inline ERB template.
class webfront (
  Webfront::Port $port = 80,
  String $confdir    = '/tmp/gapply-webfront-example',
  Hash $vhosts       = {},
) {
  file { $confdir: ensure => directory }
  concat { "${confdir}/ports.conf":
    ensure_newline => true,
    warn           => true,
    order          => 'numeric',
    notify         => Exec['webfront-reload'],
  }
  concat::fragment { 'ports-default':
    target  => "${confdir}/ports.conf",
    content => inline_template('Listen <%= @port %>'),
    order   => 1,
  }
  concat::fragment { 'ports-footer':
    target => "${confdir}/ports.conf",
    source => 'puppet:///modules/webfront/footer.conf',
    order  => 99,
  }
  exec { 'webfront-reload':
    command     => '/bin/true',
    refreshonly => true,
  }
  ensure_resources('webfront::vhost', $vhosts, { 'port' => $port })
}
