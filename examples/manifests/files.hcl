# Files, directories and a link under a scratch directory, in dependency
# order; the same catalog as files.pp. Apply it twice: the second run
# changes nothing.
#
#   gapply -v examples/manifests/files.hcl
#   gapply --detailed-exitcodes examples/manifests/files.hcl; echo $?   # 0
locals {
  root = "/tmp/gapply-example"
}

# A computed name goes into the namevar (path); the label is the title.
file "/tmp/gapply-example" {
  ensure = "directory"
  mode   = "0755"
}

file "/tmp/gapply-example/etc" {
  path   = "${local.root}/etc"
  ensure = "directory"
}

file "/tmp/gapply-example/etc/motd" {
  content = "Welcome to ${fact.networking.hostname}\n"
  mode    = "0644"
}

file "/tmp/gapply-example/motd" {
  ensure = "link"
  target = "${local.root}/etc/motd"
}

# Declared first, applied after the file it requires.
file "/tmp/gapply-example/README" {
  content = "Managed by gapply; edits are overwritten.\n"
  require = [file["${local.root}/etc/motd"]]
}
