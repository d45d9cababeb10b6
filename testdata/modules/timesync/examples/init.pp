class { 'timesync':
  servers  => ['ntp1.example.org', 'ntp2.example.org'],
  restrict => ['127.0.0.1', '::1'],
  extra    => { 'tinker' => { 'step' => 1 } },
}
