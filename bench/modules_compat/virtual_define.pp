# A virtual instance of a defined type, realized by a collector.
@systemd::unit_file { 'virtual-one.service':
  content => "[Service]\nExecStart=/bin/true\n",
}

@systemd::unit_file { 'virtual-two.service':
  content => "[Service]\nExecStart=/bin/false\n",
}

Systemd::Unit_file <| title == 'virtual-one.service' |>
