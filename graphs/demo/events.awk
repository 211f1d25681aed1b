# Synthetic particle-physics-like events: signal (label 1) has harder pT
# and more central eta than background.  Deterministic for a seed.
BEGIN {
	srand(seed)
	print "pt,eta,label"
	for (i = 0; i < n; i++) {
		label = rand() < 0.5
		pt = label ? 35 + 25 * rand() : 20 + 30 * rand()
		eta = label ? 3 * rand() - 1.5 : 5 * rand() - 2.5
		printf "%.4f,%.4f,%d\n", pt, eta, label
	}
}
