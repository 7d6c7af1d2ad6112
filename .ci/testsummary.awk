# Summarises a `go test -v` log for `make test`.
#   awk -f .ci/testsummary.awk LOG             each failed test with what it logged (30 lines at most)
#   awk -v mode=skip -f .ci/testsummary.awk LOG   each skipped test with its reason
/^=== (RUN|NAME|CONT|PAUSE)/ { cur = $3; next }
/^[[:space:]]*--- PASS/ { next }
/^[[:space:]]*--- FAIL: / { failed[++n] = $3; next }
/^[[:space:]]*--- SKIP: / { skipped[++m] = $3; next }
/^(ok|FAIL|PASS|\?)([[:space:]]|$)/ { next }
{
	if (cur != "" && cnt[cur]++ < 30) out[cur] = out[cur] $0 "\n"
	if (cur != "") { line = $0; sub(/^[[:space:]]+/, "", line); last[cur] = line }
}
END {
	if (mode == "skip") {
		for (i = 1; i <= m; i++) printf "%s: %s\n", skipped[i], substr(last[skipped[i]], 1, 160)
	} else {
		for (i = 1; i <= n; i++) printf "--- FAIL: %s\n%s", failed[i], out[failed[i]]
	}
}
