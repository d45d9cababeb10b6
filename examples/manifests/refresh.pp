# Refresh: an exec with refreshonly runs only when something it subscribes
# to changes. Change the content and apply again to see it run.
#
#   gapply -v examples/manifests/refresh.pp
$conf = '/tmp/gapply-example-refresh.conf'

file { $conf:
  content => "listen 8080\n",
}

exec { 'reload-service':
  command     => "/bin/echo reloading after ${conf} changed",
  refreshonly => true,
  logoutput   => true,
  subscribe   => File[$conf],
}
