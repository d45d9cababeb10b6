# /etc/gapply/inventory.hcl on the git server: the nodes `gapply hook
# post-receive` triggers when their environment (branch) is pushed.

secret_file = "/etc/gapply/trigger.secret"
concurrency = 50
timeout     = "120s"

node "web1.example.com" {
  url = "http://web1.example.com:8150"
}

node "web2.example.com" {
  url = "http://web2.example.com:8150"
}

node "ci1.example.com" {
  url         = "http://ci1.example.com:8150"
  environment = "staging"
}
