package config

import (
	"testing"
)

type masterLike struct {
	Certname string `hcl:"certname" doc:"the certificate name"`
	Repo     repo   `hcl:"repository,block"`
}

func (*masterLike) EnvPrefix() string { return "GAPPLY_MASTER_" }

// A struct with its own prefix reads only its own variables: the agent's
// GAPPLY_CERTNAME does not rename the master on the same host.
func TestEnvPrefixer(t *testing.T) {
	t.Setenv("GAPPLY_CERTNAME", "agent.example")
	t.Setenv("GAPPLY_MASTER_REPOSITORY_URL", "https://git.example/site.git")
	m := &masterLike{Certname: "puppet"}
	var envs []string
	for _, s := range Describe(m) {
		envs = append(envs, s.Env)
	}
	if len(envs) != 3 || envs[0] != "GAPPLY_MASTER_CERTNAME" || envs[1] != "GAPPLY_MASTER_REPOSITORY_URL" {
		t.Errorf("environment variables: %q", envs)
	}
	if diags := Load("", m, nil); diags.HasErrors() {
		t.Fatal(diags)
	}
	if m.Certname != "puppet" || m.Repo.URL != "https://git.example/site.git" {
		t.Errorf("loaded %+v", m)
	}
	t.Setenv("GAPPLY_MASTER_CERTNAME", "master.example")
	if diags := Load("", m, nil); diags.HasErrors() || m.Certname != "master.example" {
		t.Errorf("GAPPLY_MASTER_CERTNAME: %+v %v", m, diags)
	}
}
