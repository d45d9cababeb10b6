# A MySQL server with a root password and one tuned option.
class { 'mysql::server':
  root_password    => 'not-a-real-secret',
  override_options => {
    'mysqld' => { 'max_connections' => '200' },
  },
}
