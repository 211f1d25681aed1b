# "Training": for each token, the majority label on the training split.
# Then accuracy on the test split (the last 20%), written as JSON.
BEGIN { FS = "," }
NR == 1 { next }
{ tok[NR - 1] = $1; lab[NR - 1] = $2; n = NR - 1 }
END {
	ntrain = int(n * 0.8)
	for (i = 1; i <= ntrain; i++) { c[tok[i], lab[i]]++; seen[tok[i]] = 1 }
	for (t in seen) pred[t] = c[t, 1] > c[t, 0]
	for (i = ntrain + 1; i <= n; i++) ok += (pred[tok[i]] == lab[i])
	printf "{\"feature\": \"%s\", \"bins\": %d, \"accuracy\": %.4f, \"test_events\": %d}\n", feature, bins, ok / (n - ntrain), n - ntrain
}
