# One note beside the motd: $title names it.
define motd::note (
  Pattern[/^\//] $dir,
  String $text,
) {
  file { "${dir}/note-${title}":
    content => "${title}: ${text}\n",
    require => File[$dir],
  }
}
