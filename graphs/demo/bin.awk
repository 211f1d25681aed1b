# Quantile bin edges of one feature, fitted on the training split (the
# first 80% of events), then every event's value turned into a bin token.
# Output: token,label per event.
BEGIN { FS = "," }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{ v[NR - 1] = $(col[feature]); lab[NR - 1] = $(col["label"]); n = NR - 1 }
END {
	ntrain = int(n * 0.8)
	for (i = 1; i <= ntrain; i++) s[i] = v[i]
	# insertion sort is too slow; use a simple shell-free quicksort
	qsort(s, 1, ntrain)
	for (b = 1; b < bins; b++) edge[b] = s[int(b * ntrain / bins)]
	print "token,label"
	for (i = 1; i <= n; i++) {
		t = 0
		for (b = 1; b < bins; b++) if (v[i] >= edge[b]) t = b
		print t "," lab[i]
	}
}
function qsort(a, lo, hi,    i, last, t) {
	if (lo >= hi) return
	t = a[lo]; a[lo] = a[int((lo + hi) / 2)]; a[int((lo + hi) / 2)] = t
	last = lo
	for (i = lo + 1; i <= hi; i++)
		if (a[i] < a[lo]) { last++; t = a[last]; a[last] = a[i]; a[i] = t }
	t = a[lo]; a[lo] = a[last]; a[last] = t
	qsort(a, lo, last - 1); qsort(a, last + 1, hi)
}
