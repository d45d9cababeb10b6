class timesync::config {
  assert_private()
  $drift    = pick($timesync::driftfile, '/var/lib/timesync/drift')
  $settings = deep_merge({ 'tinker' => { 'panic' => 0 } }, $timesync::extra)
  $minute   = fqdn_rand(60, 'timesync')
  file { '/tmp/gapply-timesync-example.conf':
    ensure  => stdlib::ensure($timesync::ensure, 'file'),
    content => template('timesync/timesync.conf.erb'),
  }
  file { '/tmp/gapply-timesync-example.json':
    content => to_json_pretty($settings),
  }
  notify { "timesync check at minute ${minute} from ${dirname($drift)}": }
}
