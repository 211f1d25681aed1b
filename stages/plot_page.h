/*
 * plot_page.h: the HTML page around pictures, shared by `cairn report`
 * (engine/cli/report_html.c) and the `report` kind (stages/report.c), so
 * both read alike: the style sheet, the head and the foot with the few
 * lines of script that sort a table, numbers as people read them, and
 * which way a metric is better.  No clock, no locale: the same input
 * gives the same bytes.
 */
#ifndef CAIRN_PLOT_PAGE_H
#define CAIRN_PLOT_PAGE_H

struct buf;

/* From <!DOCTYPE html> to <body>: title (escaped) and the style sheet,
 * then extra_style (CSS rules, or NULL) after it. */
void plot_page_open(struct buf *out, const char *title,
		    const char *extra_style);
/* The script (tables of class "sortable" sort by a click on a header:
 * numbers by their cell's data-v, text as text, "-" last), </html>. */
void plot_page_close(struct buf *out);

/* A number as people read it: integers as integers, else 4 significant
 * digits ("%.4g": inf and nan as C prints them). */
void plot_number(struct buf *out, double x);

/*
 * Whether smaller is better for the metric named name: its dotted name
 * holds "loss", "err", "mae", "mse", "time", "duration", "seconds" or
 * "fail", or its last part is "fp" or "fn"; else larger is.
 */
int plot_smaller_better(const char *name);

/* A metric column's best value, as its values are added: the smallest or
 * the largest by plot_smaller_better; none (NAN) when every value is the
 * same, or there is none. */
struct plot_best {
	int lo;			/* smaller is better */
	double best, worst;
};
void plot_best_init(struct plot_best *b, const char *name);
void plot_best_add(struct plot_best *b, double x);
double plot_best_value(const struct plot_best *b);

#endif
