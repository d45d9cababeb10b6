# A release tarball fetched and unpacked once.
archive { '/tmp/gapply-compat-tool.tar.gz':
  ensure       => present,
  source       => 'https://downloads.example.test/tool-1.0.tar.gz',
  extract      => true,
  extract_path => '/opt',
  creates      => '/opt/tool-1.0',
  cleanup      => true,
}
