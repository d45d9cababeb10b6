# A back end that exports itself as a balancer member; without
# storeconfigs the exported resource is not in the node's own catalog.
class { 'haproxy': }

haproxy::listen { 'app':
  ipaddress => '0.0.0.0',
  ports     => '9000',
}

@@haproxy::balancermember { 'app-self':
  listening_service => 'app',
  server_names      => 'app.example.test',
  ipaddresses       => '10.0.0.21',
  ports             => '9000',
}
