#!/bin/bash
# cairn report in a real browser: Debian's headless Chromium opens the page
# from file:// (no network), runs its script with no console error, and
# the DOM it built holds the graph's nodes, the experiment table's rows
# and the curves; clicking a header sorts the table; the screenshot is a
# picture, not a blank page.  Skipped (77) where Chromium or the PNG
# checker (libpng) is missing.
# usage: report_browser.sh CAIRN PNGCHECK
CAIRN=$1
PNGCHECK=$2
here=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
	echo "skipped: chromium not found (Debian's chromium: scripts/deps.sh)"
	exit 77
fi
if [ -z "$PNGCHECK" ] || [ ! -x "$PNGCHECK" ]; then
	echo "skipped: pngcheck not built (libpng-dev missing: scripts/deps.sh)"
	exit 77
fi
. "$here/lib.sh"
mkdir "$T/w" && cd "$T/w" || exit 1
. "$here/report_graph.sh"

# browse ARGS... URL: headless Chromium, no profile left behind, as root
# too; about 2-4 s a launch.
browse() {
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$T/profile" "$@"
}

run -q run -k
expect_rc run 1
run -q report
expect_rc report 0

# The page as the browser built it, with a script of the test's appended
# that clicks the acc header twice (largest first) and writes the order
# it sees into the page; and the console (an error would say "Uncaught").
cp report.html sorted.html
cat >>sorted.html <<'HTML'
<script>
var th = Array.from(document.querySelectorAll('#exp th')).filter(function(h) { return h.textContent === 'acc'; })[0];
th.click(); th.click();
var order = Array.from(document.querySelectorAll('#exp tbody tr')).map(function(r) { return r.getAttribute('data-inst'); });
document.body.setAttribute('data-order', order.join(' ') + ' ' + th.className);
</script>
HTML
browse --enable-logging=stderr --v=0 --dump-dom "file://$PWD/sorted.html" \
	>dom.html 2>console.txt
rc=$?
expect_rc dump-dom 0
dom=$(cat dom.html)
expect_eq console "$(grep -E 'Uncaught|CONSOLE' console.txt)" ""
expect_eq dom-nodes "$(grep -o '<g class="node" data-stage="[a-z]*" data-state="[a-z ]*"' dom.html)" '<g class="node" data-stage="prep" data-state="up to date"
<g class="node" data-stage="train" data-state="up to date"
<g class="node" data-stage="flaky" data-state="failed"
<g class="node" data-stage="after" data-state="never run"'
expect_eq dom-curves "$(grep -c '<polyline class="curve"' dom.html)" 6
expect_match dom-bars "$dom" '<rect class="bar" data-inst="flaky" data-how="failed"'
expect_match dom-sorted "$dom" '<body data-order="train\[k=3\] train\[k=2\] train\[k=1\] metric desc">'
expect_match dom-best "$dom" '<td class="num best" data-v="3.0">3</td>'

# The report itself: no console message at all, and a picture.
browse --enable-logging=stderr --v=0 --screenshot="$PWD/shot.png" \
	--window-size=1280,2000 "file://$PWD/report.html" >/dev/null \
	2>console.txt
expect_eq console-report "$(grep -E 'Uncaught|CONSOLE' console.txt)" ""
"$PNGCHECK" shot.png 50 3 >png.txt
rc=$?
err=$(cat png.txt)
expect_rc screenshot 0
# The checker tells a blank page from that one.
printf '<!DOCTYPE html><title>blank</title>\n' >blank.html
browse --screenshot="$PWD/blank.png" --window-size=1280,2000 \
	"file://$PWD/blank.html" >/dev/null 2>&1
"$PNGCHECK" blank.png 50 3 >png.txt
rc=$?
err=$(cat png.txt)
expect_rc blank 1

# The kinds' pictures and declared plots (report_plots_graph.sh): the
# images decode (the PNG 2 x 1, the SVG 40 x 20, its onload never run:
# no console message), the bars and the lines are in the DOM.
mkdir "$T/p" && cd "$T/p" || exit 1
. "$here/report_plots_graph.sh"
cp plots.toml cairn.toml
run -q run
expect_rc plots-run 0
run -q report
expect_rc plots-report 0
cp report.html loaded.html
cat >>loaded.html <<'HTML'
<script>
window.addEventListener('load', function() {
  var sizes = Array.from(document.querySelectorAll('figure.image img')).map(function(i) { return i.naturalWidth + 'x' + i.naturalHeight; });
  document.body.setAttribute('data-images', sizes.join(' '));
});
</script>
HTML
browse --enable-logging=stderr --v=0 --dump-dom "file://$PWD/loaded.html" \
	>dom.html 2>console.txt
expect_eq plots-console "$(grep -E 'Uncaught|CONSOLE' console.txt)" ""
expect_match plots-images "$(cat dom.html)" '<body data-images="2x1 40x20 2x1 40x20"'
expect_eq plots-bins "$(grep -c '<figure class="bins">' dom.html)" 6
expect_eq plots-zbins "$(grep -c '<figure class="zbins">' dom.html)" 1
expect_eq plots-series "$(grep -c '<polyline class="curve" data-label="k=' dom.html)" 4
expect_eq plots-tokens "$(grep -c '<polyline class="curve" data-label="bin"' dom.html)" 1
finish
