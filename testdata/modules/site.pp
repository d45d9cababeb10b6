node default {
  include timesync
  class { 'webfront': vhosts => { 'intranet' => {} } }
}
