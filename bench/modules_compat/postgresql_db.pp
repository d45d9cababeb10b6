# A PostgreSQL server with one application database and its owner. The
# module predates Debian 12, so the version is given.
class { 'postgresql::globals':
  version => '15',
}

class { 'postgresql::server': }

postgresql::server::db { 'inventory':
  user     => 'inventory',
  password => postgresql::postgresql_password('inventory', 'changeme'),
}
