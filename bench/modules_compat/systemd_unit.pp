# A unit file for a small daemon, enabled and started.
systemd::unit_file { 'hello-daemon.service':
  content => "[Unit]\nDescription=hello\n\n[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n",
  enable  => true,
  active  => true,
}
