# A module with a class, a define, an EPP template and Hiera data.
#
#   gapply -v --modulepath examples/modules examples/manifests/site.pp
#
# Class parameters come from examples/manifests/data/*.yaml through
# examples/manifests/hiera.yaml (found beside the manifest), per OS family.
node default {
  include motd
}
