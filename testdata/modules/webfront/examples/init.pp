class { 'webfront':
  port   => 8080,
  vhosts => {
    'www.example.org' => { 'aliases' => ['example.org'] },
    'api.example.org' => {},
  },
}
