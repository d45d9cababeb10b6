# HAProxy balancing two web servers from one listen section.
class { 'haproxy': }

haproxy::listen { 'web':
  collect_exported => false,
  ipaddress        => '0.0.0.0',
  ports            => '8080',
}

haproxy::balancermember { 'web01':
  listening_service => 'web',
  server_names      => 'web01.example.test',
  ipaddresses       => '10.0.0.11',
  ports             => '80',
  options           => 'check',
}

haproxy::balancermember { 'web02':
  listening_service => 'web',
  server_names      => 'web02.example.test',
  ipaddresses       => '10.0.0.12',
  ports             => '80',
  options           => 'check',
}
