# Files, directories and a link under a scratch directory, in dependency
# order. Apply it twice: the second run changes nothing.
#
#   gapply -v examples/manifests/files.pp
#   gapply --detailed-exitcodes examples/manifests/files.pp; echo $?   # 0
$root = '/tmp/gapply-example'

file { $root:
  ensure => directory,
  mode   => '0755',
}

file { "${root}/etc":
  ensure => directory,
}

file { "${root}/etc/motd":
  content => "Welcome to ${facts['networking']['hostname']}\n",
  mode    => '0644',
}

file { "${root}/motd":
  ensure => link,
  target => "${root}/etc/motd",
}

# Declared first, applied after the file it requires.
file { "${root}/README":
  content => "Managed by gapply; edits are overwritten.\n",
  require => File["${root}/etc/motd"],
}
