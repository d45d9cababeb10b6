class gadget(String $label = 'main') {
  widget { $label:
    ensure => present,
    colors => ['red', 'green'],
    size   => big,
  }
}
