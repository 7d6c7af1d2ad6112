# Prints each failed test of a `go test -v` log with the lines it logged
# (at most 30 per test). Used by `make test`.
/^=== (RUN|NAME|CONT|PAUSE)/ { cur = $3; next }
/^[[:space:]]*--- (PASS|SKIP)/ { next }
/^[[:space:]]*--- FAIL: / { failed[++n] = $3; next }
/^(ok|FAIL|PASS|\?)([[:space:]]|$)/ { next }
{ if (cur != "" && cnt[cur]++ < 30) out[cur] = out[cur] $0 "\n" }
END { for (i = 1; i <= n; i++) { name = failed[i]; printf "--- FAIL: %s\n%s", name, out[name] } }
