# timesync: an NTP-like module written for gapply's tests, in the style of
# puppetlabs-ntp: parameters, stdlib helpers, an ERB template, a service.
class timesync (
  Array[String] $servers   = ['0.pool.example.org', '1.pool.example.org'],
  Boolean $iburst          = true,
  Optional[String] $driftfile = undef,
  Array[String] $restrict  = [],
  Variant[Boolean, Enum['present', 'absent']] $ensure = true,
  Hash $extra              = {},
) {
  contain timesync::install
  contain timesync::config
  Class['timesync::install'] -> Class['timesync::config']
}
