class timesync::install {
  assert_private()
  ensure_packages(['timesync-example'], { ensure => stdlib::ensure($timesync::ensure, 'package') })
}
