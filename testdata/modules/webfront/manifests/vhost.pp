define webfront::vhost (
  Webfront::Port $port,
  String $docroot = "/srv/${title}",
  Array[String] $aliases = [],
) {
  $names = unique(concat([$title], $aliases))
  concat::fragment { "ports-vhost-${title}":
    target  => "${webfront::confdir}/ports.conf",
    content => "# ${join(prefix($names, 'vhost '), ', ')} on ${port}",
    order   => 10,
  }
  file { "${webfront::confdir}/${title}.conf":
    content => to_yaml({ 'servername' => $title, 'aliases' => $aliases, 'docroot' => $docroot }),
  }
}
