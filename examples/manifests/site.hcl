# site.pp in HCL: declare the motd module's class; its parameters come from
# Hiera data, as in site.pp.
#
#   gapply -v --modulepath examples/modules examples/manifests/site.hcl
class "motd" {}
