# The default Apache install plus one name-based virtual host.
include apache

apache::vhost { 'www.example.test':
  port    => 80,
  docroot => '/srv/www/example',
}
