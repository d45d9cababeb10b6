package resources

import (
	"context"
	"strings"
	"testing"
)

func TestNotify(t *testing.T) {
	for _, tc := range []struct {
		title  string
		params map[string]any
		logged string
	}{
		{"hello", nil, "hello"},
		{"x", map[string]any{"message": "msg"}, "msg"},
		{"n", map[string]any{"message": int64(42)}, "42"},
		// Puppet keeps the first element of an array message.
		{"a", map[string]any{"message": []any{"first", "second"}}, "first"},
		{"w", map[string]any{"withpath": true}, "Notify[w]/message: w"},
	} {
		env := newTestEnv(t)
		r := newRes(t, "notify", tc.title, tc.params)
		msg := strings.TrimPrefix(tc.logged, "Notify[w]/message: ")
		// A notify is a change on every run: Apply does not make it
		// converge.
		for run := 0; run < 2; run++ {
			changes := mustCheck(t, r, env.Env)
			wantLines(t, changeLines(changes), "message: defined 'message' as '"+msg+"'")
			if err := r.Apply(context.Background(), env.Env, changes); err != nil {
				t.Fatal(err)
			}
		}
		if got := strings.Count(env.logs.String(), "INFO "+tc.logged+"\n"); got != 2 {
			t.Errorf("%s: logged %d times; log:\n%s", tc.title, got, env.logs.String())
		}
	}
	if _, err := newResErr("notify", "x", map[string]any{"withpath": "sometimes"}); err == nil ||
		err.Error() != `Parameter withpath failed on Notify[x]: Invalid value "sometimes". Valid values are true, false.` {
		t.Errorf("err = %v", err)
	}
}
