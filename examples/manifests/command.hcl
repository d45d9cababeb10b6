# The classic first manifest, in HCL: run one command and show that it ran.
# It compiles to the same catalog as command.pp, so it lists command.pp too.
#
#   go run ./cmd/gapply -v examples/manifests/command.hcl
#
# setting.manifestdir is the directory of the manifest being applied, so
# the example works from wherever it is run. `creates` names a marker that
# the file below writes after the first run, so a second run has nothing
# to do (exit 0 with --detailed-exitcodes).
exec "list" {
  command   = "/bin/ls command.pp"
  cwd       = setting.manifestdir
  logoutput = true
  creates   = "/tmp/gapply-example-listed"
}

file "/tmp/gapply-example-listed" {
  content = "command.pp was listed by gapply\n"
  require = [exec["list"]]
}
