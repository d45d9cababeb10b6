# The OpenSSH client and server with a few sshd options.
class { 'ssh':
  server_options => {
    'PasswordAuthentication' => 'no',
    'PermitRootLogin'        => 'no',
  },
  storeconfigs_enabled => false,
}
