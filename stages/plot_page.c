/*
 * The page around pictures (plot_page.h): one style sheet and one script
 * for `cairn report` and the `report` kind.
 */
#include <math.h>
#include <string.h>

#include "buf.h"
#include "plot.h"
#include "plot_page.h"
#include "util.h"

static const char style[] =
	"body{font-family:sans-serif;margin:0 2em 2em;color:#222;"
	"max-width:1400px}\n"
	"h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;"
	"margin-top:1.6em}\n"
	".meta{color:#555}.meta code{color:#222}\n"
	"nav a{margin-right:1em}\n"
	"table{border-collapse:collapse;font-size:13px}\n"
	"th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}\n"
	"td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"th{background:#f4f4f4}\n"
	"table.sortable th{cursor:pointer}\n"
	"th.asc::after{content:\" \\25b2\"}th.desc::after{content:\" \\25bc\"}\n"
	"td.best{font-weight:bold;background:#dff3df}\n"
	"th.matrix{background:#eaf1fb}th.param{background:#f6f0e6}\n"
	".state{display:inline-block;padding:0 6px;border-radius:4px;"
	"border:1px solid #999;font-size:12px}\n"
	".s0{background:#8fd18f}.s1{background:#8ec5e8}.s2{background:#f5b453}"
	".s3{background:#e8747c}.s4{background:#d9d9d9}\n"
	".inst{margin:.8em 0 1.2em 1em}.inst h4{margin:.3em 0}\n"
	"code,.id{font-family:monospace}\n"
	"svg{max-width:100%;height:auto}\n"
	".charts{display:flex;flex-wrap:wrap;gap:1em}\n"
	":target{outline:2px solid #f28e2b}\n";

/* Sorting by a click on a header: numbers by value (data-v), text as
 * text, cells without a value last; a second click reverses. */
static const char script[] =
	"document.querySelectorAll('table.sortable').forEach(function(t){\n"
	"  t.querySelectorAll('th').forEach(function(th,col){\n"
	"    th.addEventListener('click',function(){\n"
	"      var desc=th.classList.contains('asc');\n"
	"      t.querySelectorAll('th').forEach(function(h){"
	"h.classList.remove('asc','desc');});\n"
	"      th.classList.add(desc?'desc':'asc');\n"
	"      var body=t.tBodies[0],rows=Array.from(body.rows);\n"
	"      function key(r){var c=r.cells[col];"
	"return c.hasAttribute('data-v')?c.getAttribute('data-v'):"
	"c.textContent;}\n"
	"      rows.sort(function(a,b){\n"
	"        var x=key(a),y=key(b),nx=parseFloat(x),ny=parseFloat(y),d;\n"
	"        if(x==='-'||y==='-')return x===y?0:x==='-'?1:-1;\n"
	"        d=!isNaN(nx)&&!isNaN(ny)?nx-ny:x.localeCompare(y);\n"
	"        return desc?-d:d;});\n"
	"      rows.forEach(function(r){body.appendChild(r);});\n"
	"    });\n"
	"  });\n"
	"});\n";

void plot_page_open(struct buf *out, const char *title,
		    const char *extra_style)
{
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		      "charset=\"utf-8\">\n<meta name=\"generator\" "
		      "content=\"cairn report\">\n<title>");
	plot_esc(out, title);
	buf_addf(out, "</title>\n<style>\n%s%s</style>\n</head>\n<body>\n",
		 style, extra_style ? extra_style : "");
}

void plot_page_close(struct buf *out)
{
	buf_addf(out, "<script>\n%s</script>\n</body></html>\n", script);
}

void plot_number(struct buf *out, double x)
{
	if (isfinite(x) && x == floor(x) && fabs(x) < 1e15)
		buf_addf(out, "%.0f", x);
	else
		buf_addf(out, "%.4g", x);
}

void plot_best_init(struct plot_best *b, const char *name)
{
	b->lo = plot_smaller_better(name);
	b->best = b->lo ? INFINITY : -INFINITY;
	b->worst = -b->best;
}

void plot_best_add(struct plot_best *b, double x)
{
	if (b->lo ? x < b->best : x > b->best)
		b->best = x;
	if (b->lo ? x > b->worst : x < b->worst)
		b->worst = x;
}

double plot_best_value(const struct plot_best *b)
{
	return b->worst == b->best ? NAN : b->best;
}

int plot_smaller_better(const char *name)
{
	static const char *const words[] = { "loss", "err", "mae", "mse",
					     "time", "duration", "seconds",
					     "fail" };
	/* False positives and negatives: counts whose name is the word. */
	static const char *const counts[] = { "fp", "fn" };
	const char *last = strrchr(name, '.');
	size_t k;

	for (k = 0; k < ARRAY_LEN(words); k++)
		if (strstr(name, words[k]))
			return 1;
	last = last ? last + 1 : name;
	for (k = 0; k < ARRAY_LEN(counts); k++)
		if (!strcmp(last, counts[k]))
			return 1;
	return 0;
}
