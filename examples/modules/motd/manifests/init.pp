# The message of the day, rendered from an EPP template, with one note file
# per entry of $notes (a define used many times).
class motd (
  Pattern[/^\//] $dir = '/tmp/gapply-example-site',
  String $owner_team,
  String $package_tool = 'unknown',
  Hash[String, String] $notes = {},
) {
  file { $dir:
    ensure => directory,
    mode   => '0755',
  }

  file { "${dir}/motd":
    content => epp('motd/motd.epp', {
      'hostname'     => $facts['networking']['hostname'],
      'team'         => $owner_team,
      'package_tool' => $package_tool,
      'notes'        => $notes.keys.sort,
    }),
    mode    => '0644',
  }

  $notes.each |$topic, $text| {
    motd::note { $topic:
      dir  => $dir,
      text => $text,
    }
  }
}
