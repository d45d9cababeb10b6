# Allow SSH in, as the first rule.
firewall { '010 accept ssh':
  dport  => 22,
  proto  => 'tcp',
  action => 'accept',
}
