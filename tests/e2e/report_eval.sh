#!/bin/bash
# The evaluations' pictures in the real report, from the real kinds:
# eval.classifier's optional `scores` output (written when named, not
# otherwise; its ROC curve checked against the metrics: the point at the
# threshold is the confusion counts, the trapezoid under it the AUC) drawn
# as overlaid ROC curves; eval.dose's maps (with caseN/dose_diff, checked
# against the doses) drawn as DVH curves, gamma slices through the worst
# voxel and the dose difference.  Where Chromium is found, the page's
# slices are decoded by it (every PNG has its size).
# usage: report_eval.sh CAIRN H5PRINT
CAIRN=$1
H5PRINT=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mkdir "$T/w" && cd "$T/w" || exit 1

cat >eval.toml <<'EOF'
[graph]
name = "pics"

[stage.events]
kind = "synth.events"
with = { n = 3000, seed = 1 }
outs = { events = "out/events.h5" }

[stage.tokens]
kind = "binning"
deps = { events = "${stage.events.outs.events}" }
outs = { tokens = "out/tokens.h5", report = "out/binning.json" }

[stage.train]
kind = "train.classifier"
with = { pooling = "${matrix.pooling}", epochs = 1, seed = 1 }
deps = { data = "${stage.tokens.outs.tokens}" }
outs = { model = "out/model-${matrix.pooling}.h5", curve = "out/curve-${matrix.pooling}.json" }
matrix = { pooling = ["cls", "mean"] }

[stage.eval]
kind = "eval.classifier"
deps = { model = "${stage.train.outs.model}", data = "${stage.tokens.outs.tokens}" }
outs = { metrics = "out/eval-${matrix.pooling}.json", scores = "out/scores-${matrix.pooling}.h5" }
matrix = { pooling = ["cls", "mean"] }
metrics = ["${outs.metrics}"]

# As graphs made before `scores` existed: metrics only.
[stage.plain]
kind = "eval.classifier"
deps = { model = "out/model-cls.h5", data = "${stage.tokens.outs.tokens}" }
outs = { metrics = "out/plain.json" }

[stage.volumes]
kind = "synth.volumes"
with = { n = 2, nx = 24, ny = 20, nz = 12, pred_shift_mm = 3.0, pred_noise_gy = 0.5, seed = 3 }
outs = { volumes = "out/volumes.h5" }

[stage.dose]
kind = "eval.dose"
deps = { volumes = "${stage.volumes.outs.volumes}", prediction = "${stage.volumes.outs.volumes}" }
outs = { metrics = "out/dose.json", maps = "out/maps.h5" }
EOF

# The optional output, as help and --json say it.
run help eval.classifier
expect_match help-optional "$out" '
  scores       optional \(written when named\): HDF5: score float32 \[n\], label uint8 \[n\], weight float32 \[n\]; the ROC curve roc/fpr, roc/tpr, roc/threshold float64
'
run kinds --json
expect_match kinds-json "$out" '"name": "eval.classifier", .*"outputs": \[\{"name": "metrics", "optional": false\}, \{"name": "scores", "optional": true\}\]\}'
# A required output left out is still refused; an unknown one too.
sed 's|outs = { metrics = "out/plain.json" }|outs = { scores = "out/s.h5" }|' eval.toml >bad.toml
run status bad.toml
expect_rc missing-metrics 2
expect_match missing-metrics-msg "$err" "kind 'eval.classifier' makes output 'metrics': name it in 'outs'"

# An enclosing stage's CAIRN_OUT_SCORES (cairn run inside a stage) is not
# taken for the scores a stage here does not name.
export CAIRN_OUT_SCORES="$T/leak.h5"
run -q run eval.toml
expect_rc run 0
unset CAIRN_OUT_SCORES
expect_eq no-leak "$(ls "$T/leak.h5" 2>/dev/null)" ""
expect_eq outputs "$(cd out && ls)" "binning.json
curve-cls.json
curve-mean.json
dose.json
eval-cls.json
eval-mean.json
events.h5
maps.h5
model-cls.h5
model-mean.h5
plain.json
scores-cls.h5
scores-mean.h5
tokens.h5
volumes.h5"

# num FILE KEY: a number of a metrics file.
num() {
	sed -E 's/.*"'"$2"'": ([-0-9.e]+).*/\1/' "$1"
}

# The scores: one per event, weight 1, thresholds falling from +inf; the
# ROC point of the smallest threshold at or above 0.5 is the metrics' tp
# and fp; the confusion counts again from the scores and labels; the
# trapezoid under the curve is the AUC (the attribute's to 1e-9, the
# metrics' six decimals).
for m in cls mean; do
	s=out/scores-$m.h5
	e=out/eval-$m.json
	"$H5PRINT" $s score >score.txt && "$H5PRINT" $s label >label.txt &&
		"$H5PRINT" $s weight >weight.txt && "$H5PRINT" $s roc/fpr >fpr.txt &&
		"$H5PRINT" $s roc/tpr >tpr.txt && "$H5PRINT" $s roc/threshold >thr.txt &&
		"$H5PRINT" $s / auc >auc.txt
	rc=$?
	expect_rc h5print-$m 0
	expect_eq events-$m "$(wc -l <score.txt)" "$(num $e events)"
	expect_eq weights-$m "$(sort -u weight.txt)" 1
	expect_eq labels-$m "$(sort -u label.txt | tr '\n' ' ')" "0 1 "
	got=$(paste score.txt label.txt | awk '$1 >= 0.5 && $2 == 1 {tp++} $1 >= 0.5 && $2 == 0 {fp++} END {print tp + 0, fp + 0}')
	expect_eq counts-$m "$got" "$(num $e tp) $(num $e fp)"
	got=$(paste thr.txt fpr.txt tpr.txt | awk -v P="$(awk '{s += $1} END {print s}' label.txt)" -v n="$(wc -l <label.txt)" '
		NR == 1 { if ($1 != "inf" || $2 != 0 || $3 != 0) bad = "first " $0; next }
		NR > 2 && $1 + 0 >= last { bad = "not falling at " NR }
		{ a += ($2 - pf) * ($3 + pt) / 2; pf = $2; pt = $3; last = $1 + 0 }
		$1 + 0 >= 0.5 { tp = $3 * P; fp = $2 * (n - P) }
		END { if (bad) print bad; else printf "%.0f %.0f %.12f %d\n", tp, fp, a, (pf == 1 && pt == 1) }')
	expect_eq roc-point-$m "$(echo "$got" | cut -d' ' -f1,2,4)" "$(num $e tp) $(num $e fp) 1"
	area=$(echo "$got" | cut -d' ' -f3)
	expect_eq auc-attr-$m "$(awk -v a="$area" -v b="$(cat auc.txt)" 'BEGIN {d = a - b; print (d < 1e-9 && d > -1e-9)}')" 1
	expect_eq auc-metrics-$m "$(awk -v a="$area" -v b="$(num $e auc)" 'BEGIN {d = a - b; print (d <= 5e-7 && d >= -5e-7)}')" 1
	eval "area_$m=\$(printf '%.4f' \"\$area\")"
done

# kind-run: an optional output whose variable is unset or empty is not
# written; a required one empty is not given.
printf '{"split": "test", "threshold": 0.5, "device": "cpu"}\n' >set.json
CAIRN_IN_MODEL=out/model-cls.h5 CAIRN_IN_DATA=out/tokens.h5 CAIRN_OUT_METRICS=k.json CAIRN_OUT_SCORES= \
	"$CAIRN" kind-run eval.classifier set.json >/dev/null 2>&1
rc=$?
expect_rc kind-run-optional 0
expect_eq kind-run-files "$([ -e k.h5 ] && echo k.h5; ls k.json)" "k.json"
expect_eq kind-run-metrics "$(cat k.json)" "$(cat out/plain.json)"
CAIRN_IN_MODEL=out/model-cls.h5 CAIRN_IN_DATA=out/tokens.h5 CAIRN_OUT_METRICS= CAIRN_OUT_SCORES=k.h5 \
	"$CAIRN" kind-run eval.classifier set.json >/dev/null 2>err.txt
rc=$?
err=$(cat err.txt)
expect_rc kind-run-required 2
expect_eq kind-run-required-msg "$err" "cairn: error: kind 'eval.classifier': output 'metrics' is not given (CAIRN_OUT_METRICS)"
expect_eq kind-run-nothing "$(ls k.h5 2>/dev/null)" ""

# The dose difference: predicted - reference, voxel by voxel.
"$H5PRINT" out/maps.h5 case1/dose_diff >diff.txt
"$H5PRINT" out/volumes.h5 case1/dose_pred >pred.txt
"$H5PRINT" out/volumes.h5 case1/dose_plan >plan.txt
expect_eq dose-diff "$(paste diff.txt pred.txt plan.txt | awk '{d = $1 - ($2 - $3); if (d > 1e-4 || d < -1e-4) bad++} END {print NR, bad + 0}')" "5760 0"

run report eval.toml
expect_rc report 0

# ROC: one chart, both members, the AUC of each curve in its label.
expect_eq roc-figures "$(grep -c '<figure class="roc">' report.html)" 1
expect_eq roc-curves "$(grep -o '<polyline class="curve" data-label="pooling=[a-z]* (AUC [0-9.]*)"' report.html)" \
"<polyline class=\"curve\" data-label=\"pooling=cls (AUC $area_cls)\"
<polyline class=\"curve\" data-label=\"pooling=mean (AUC $area_mean)\""
expect_match roc-caption "$(cat report.html)" '<figcaption>ROC curves of the scores on the test split; the dashed diagonal is chance</figcaption>'

# eval.dose: per case a DVH chart, gamma slices through the worst voxel
# (its value and place the map's), the dose difference on them.
expect_eq dose-figures "$(grep -o '<figure class="[a-z-]*">' report.html | grep -v 'roc\|bins\|tokens' | tr '\n' ' ')" \
	'<figure class="dvh"> <figure class="gamma"> <figure class="dose-diff"> <figure class="dvh"> <figure class="gamma"> <figure class="dose-diff"> '
expect_eq dvh-lines "$(grep -c 'data-label="PTV70 \(reference\|predicted\)"' report.html)" 4
"$H5PRINT" out/maps.h5 case0/gamma/3pct_3mm >gamma.txt
worst=$(awk '$1 >= 0 && $1 > top {top = $1; at = NR - 1} END {printf "%.3f at x=%d, y=%d, z=%d", top, at % 24, int(at / 24) % 20, int(at / 480)}' gamma.txt)
expect_match gamma-caption "$(cat report.html)" "<figcaption>dose: case 0, gamma 3%/3mm: the worst voxel, gamma $worst, and the slices through it"
expect_eq slices "$(grep -o '<img class="slice" data-plane="[a-z]*" alt="[a-z]* [xyz]=[0-9]*" width="[0-9]*" height="[0-9]*" style="image-rendering:pixelated" src="data:image/png;base64,iVBORw0KGgo' report.html | wc -l)" 12
expect_eq slice-sizes "$(grep -o 'data-plane="[a-z]*" alt="[a-z]* [xyz]=[0-9]*" width="[0-9]*" height="[0-9]*"' report.html | sed -E 's/ alt="[^"]*"//' | sort -u)" \
'data-plane="axial" width="200" height="167"
data-plane="coronal" width="200" height="100"
data-plane="sagittal" width="200" height="120"'
expect_match diff-caption "$(cat report.html)" '<figcaption>dose: case 1, the dose difference \(predicted - reference\) on the same slices: axial z=[0-9]+, coronal y=[0-9]+, sagittal x=[0-9]+; blue below, red above, [0-9.]+ Gy at the ends</figcaption>'

# The same bytes again.
cp report.html first.html
run report eval.toml
expect_eq same "$(cmp first.html report.html && echo same)" same

# In a browser: every slice decoded, at the size it was drawn.
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -n "$CHROMIUM" ]; then
	cp report.html probe.html
	cat >>probe.html <<'HTML'
<script>
window.addEventListener('load', function() {
  var s = Array.from(document.querySelectorAll('img.slice')).map(function(i) { return i.complete && i.naturalWidth > 0 ? i.naturalWidth + 'x' + i.naturalHeight : 'broken'; });
  document.body.setAttribute('data-slices', s.join(' '));
});
</script>
HTML
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/profile" --virtual-time-budget=5000 \
		--dump-dom "file://$PWD/probe.html" >dom.html 2>/dev/null
	expect_match browser-slices "$(cat dom.html)" 'data-slices="24x20 24x12 20x12 24x20 24x12 20x12 24x20 24x12 20x12 24x20 24x12 20x12"'
else
	echo "chromium not found: the slices are not decoded in a browser"
fi
finish
