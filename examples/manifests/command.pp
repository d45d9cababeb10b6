# The classic first manifest: run one command and show that it ran.
#
#   go run ./cmd/gapply -v examples/manifests/command.pp
#
# $settings::manifestdir is the directory of the manifest being applied, so
# the example works from wherever it is run. An exec runs on every run
# unless something guards it; `creates` names a marker that the file below
# writes after the first run, so a second run has nothing to do (exit 0 with
# --detailed-exitcodes).
exec { 'list':
  command   => '/bin/ls command.pp',
  cwd       => $settings::manifestdir,
  logoutput => true,
  creates   => '/tmp/gapply-example-listed',
}

-> file { '/tmp/gapply-example-listed':
  content => "command.pp was listed by gapply\n",
}
