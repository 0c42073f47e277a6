/* The HTML report of a parameter sweep (include/stratbox/report.h): a
 * heat map of one metric over two parameters and the runs ranked by
 * another, then, when given, the best run's own report.  Both are HTML
 * tables written here; the heat map's colours are classes of the style
 * sheet (h0 worst .. h8 best), so the page needs no script unless the best
 * run's charts are shown.  Parameter names and values come from the
 * strategy's author and are escaped like everything else. */
#include "common/util.h"
#include "engine/report_backtest.h"
#include "stratbox/engine.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define DEFAULT_MAX_ROWS 100
#define MAX_AXIS 60	/* values on a heat map's axis */
#define MAX_PARAM_COLUMNS 12
#define HEAT_CLASSES 9

struct ranked {
	size_t idx;
	double v; /* the metric, oriented: higher is better; NaN when none */
};

static const json_t *run_metric(const json_t *run, const char *name)
{
	return json_object_get(json_object_get(run, "metrics"), name);
}

static bool run_ok(const json_t *run)
{
	const char *st = json_string_value(json_object_get(run, "status"));
	return st == NULL || strcmp(st, "OK") == 0;
}

static int by_rank(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	bool nx = isnan(x->v), ny = isnan(y->v);
	if (nx != ny)
		return nx ? 1 : -1;
	if (!nx && x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Every parameter name, in the order first seen. */
static json_t *param_names(const json_t *runs)
{
	json_t *names = json_object();
	for (size_t i = 0; names && i < json_array_size(runs); i++) {
		const char *k;
		const json_t *v;
		json_object_foreach (json_object_get(json_array_get(runs, i), "params"), k, v)
			if (json_object_get(names, k) == NULL &&
			    json_object_set_new(names, k, json_true()) < 0) {
				json_decref(names);
				return NULL;
			}
	}
	return names;
}

static void th_metric(struct hbuf *b, const char *name, bool ranked)
{
	hb_printf(b, "<th%s>", ranked ? " class=\"ranked\"" : "");
	hb_texts(b, metric_info(name).label);
	hb_puts(b, "</th>");
}

static void ranking(struct hbuf *b, const json_t *runs, const struct ranked *order,
		    const json_t *names, const char *rank, size_t max)
{
	static const char *const shown[] = { "return_pct", "sharpe", "max_drawdown_pct",
					     "win_rate_pct", "trades", "profit_factor" };
	size_t n = json_array_size(runs), np = 0;
	bool any_failed = false;
	for (size_t i = 0; i < n; i++)
		any_failed |= !run_ok(json_array_get(runs, i));
	hb_printf(b, "<section id=\"ranking\">\n<h2>Ranking <span class=\"count\">(%zu run%s)</span>"
		     "</h2>\n<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>Rank</th>",
		  n, n == 1 ? "" : "s");
	const char *k;
	const json_t *v;
	json_object_foreach ((json_t *) names, k, v) {
		if (np++ == MAX_PARAM_COLUMNS)
			break;
		hb_puts(b, "<th class=\"param\">");
		hb_texts(b, k);
		hb_puts(b, "</th>");
	}
	th_metric(b, rank, true);
	for (size_t i = 0; i < ARRAY_SIZE(shown); i++)
		if (strcmp(shown[i], rank) != 0)
			th_metric(b, shown[i], false);
	hb_puts(b, any_failed ? "<th>Status</th></tr></thead>\n<tbody>\n" : "</tr></thead>\n<tbody>\n");
	for (size_t r = 0; r < n && r < max; r++) {
		const json_t *run = json_array_get(runs, order[r].idx);
		const json_t *params = json_object_get(run, "params");
		hb_printf(b, "<tr%s><td>%zu</td>", r == 0 ? " class=\"best\"" : "", r + 1);
		np = 0;
		json_object_foreach ((json_t *) names, k, v) {
			if (np++ == MAX_PARAM_COLUMNS)
				break;
			const json_t *p = json_object_get(params, k);
			hb_puts(b, "<td class=\"param\">");
			if (p == NULL)
				hb_puts(b, "<span class=\"na\">&mdash;</span>");
			else
				put_value(b, p);
			hb_puts(b, "</td>");
		}
		hb_puts(b, "<td class=\"ranked\">");
		put_formatted(b, run_metric(run, rank), metric_info(rank).fmt, false);
		hb_puts(b, "</td>");
		for (size_t i = 0; i < ARRAY_SIZE(shown); i++) {
			if (strcmp(shown[i], rank) == 0)
				continue;
			hb_puts(b, "<td>");
			put_formatted(b, run_metric(run, shown[i]), metric_info(shown[i]).fmt, false);
			hb_puts(b, "</td>");
		}
		if (any_failed) {
			hb_puts(b, run_ok(run) ? "<td>OK</td>" : "<td class=\"neg\">");
			if (!run_ok(run)) {
				put_value(b, json_object_get(run, "status"));
				hb_puts(b, "</td>");
			}
		}
		hb_puts(b, "</tr>\n");
	}
	hb_puts(b, "</tbody></table></div>\n");
	if (n > max)
		hb_printf(b, "<p class=\"note\">The best %zu of %zu runs are listed.</p>\n", max, n);
	if (json_object_size(names) > MAX_PARAM_COLUMNS)
		hb_printf(b, "<p class=\"note\">The first %d parameters are shown.</p>\n",
			  MAX_PARAM_COLUMNS);
	hb_puts(b, "</section>\n");
}

/* ---- the heat map ---------------------------------------------------- */

struct axis {
	const json_t *v[MAX_AXIS];
	size_t n;
};

/* Numbers in their order, before anything else (in the order of its JSON
 * text). */
static int cmp_values(const json_t *a, const json_t *b)
{
	if (json_is_number(a) != json_is_number(b))
		return json_is_number(a) ? -1 : 1;
	if (json_is_number(a)) {
		double x = json_number_value(a), y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	cleanup_free char *sa = json_dumps(a, JSON_ENCODE_ANY), *sb = json_dumps(b, JSON_ENCODE_ANY);
	return strcmp(sa ? sa : "", sb ? sb : "");
}

/* The distinct values of one parameter, sorted (cmp_values).  -1 when
 * there are more than MAX_AXIS. */
static int axis_values(const json_t *runs, const char *name, struct axis *ax)
{
	ax->n = 0;
	for (size_t i = 0; i < json_array_size(runs); i++) {
		const json_t *v = json_object_get(json_object_get(json_array_get(runs, i), "params"), name);
		bool seen = v == NULL;
		for (size_t k = 0; k < ax->n && !seen; k++)
			seen = json_equal((json_t *) ax->v[k], (json_t *) v);
		if (seen)
			continue;
		if (ax->n == MAX_AXIS)
			return -1;
		ax->v[ax->n++] = v;
	}
	for (size_t i = 1; i < ax->n; i++) /* insertion sort: at most MAX_AXIS values */
		for (size_t k = i; k > 0 && cmp_values(ax->v[k - 1], ax->v[k]) > 0; k--) {
			const json_t *t = ax->v[k];
			ax->v[k] = ax->v[k - 1];
			ax->v[k - 1] = t;
		}
	return 0;
}

static size_t axis_index(const struct axis *ax, const json_t *v)
{
	for (size_t k = 0; v != NULL && k < ax->n; k++)
		if (json_equal((json_t *) ax->v[k], (json_t *) v))
			return k;
	return (size_t) -1;
}

struct heat {
	double v[MAX_AXIS][MAX_AXIS];	   /* oriented: higher is better */
	const json_t *j[MAX_AXIS][MAX_AXIS]; /* the value shown */
	double lo, hi;
};

static void heat_fill(struct heat *h, const json_t *runs, const char *metric, int dir,
		      const char *x, const char *y, const struct axis *ax, const struct axis *ay)
{
	for (size_t i = 0; i < MAX_AXIS; i++)
		for (size_t k = 0; k < MAX_AXIS; k++) {
			h->v[i][k] = NAN;
			h->j[i][k] = NULL;
		}
	h->lo = INFINITY;
	h->hi = -INFINITY;
	for (size_t i = 0; i < json_array_size(runs); i++) {
		const json_t *run = json_array_get(runs, i), *params = json_object_get(run, "params");
		size_t xi = axis_index(ax, json_object_get(params, x));
		size_t yi = axis_index(ay, json_object_get(params, y));
		double v;
		if (xi == (size_t) -1 || yi == (size_t) -1 || !run_ok(run) ||
		    json_finite(run_metric(run, metric), &v) < 0)
			continue;
		v *= dir;
		if (isnan(h->v[yi][xi]) || v > h->v[yi][xi]) {
			h->v[yi][xi] = v;
			h->j[yi][xi] = run_metric(run, metric);
		}
	}
	/* the colours span the values shown, not those a cell's best hides */
	for (size_t r = 0; r < ay->n; r++)
		for (size_t c = 0; c < ax->n; c++)
			if (h->j[r][c] != NULL) {
				h->lo = fmin(h->lo, h->v[r][c]);
				h->hi = fmax(h->hi, h->v[r][c]);
			}
}

static int heat_class(const struct heat *h, double v)
{
	if (!(h->hi > h->lo))
		return HEAT_CLASSES / 2;
	return (int) lround((v - h->lo) / (h->hi - h->lo) * (HEAT_CLASSES - 1));
}

static void heat_legend(struct hbuf *b, const struct heat *h, const char *metric, int dir)
{
	struct metric_info mi = metric_info(metric);
	json_t *worst = json_real(h->lo * dir), *best = json_real(h->hi * dir);
	hb_puts(b, "<div class=\"heat-legend\"><span>worst ");
	put_formatted(b, worst, mi.fmt, false);
	hb_puts(b, "</span>");
	for (int c = 0; c < HEAT_CLASSES; c++)
		hb_printf(b, "<span class=\"swatch h%d\"></span>", c);
	hb_puts(b, "<span>best ");
	put_formatted(b, best, mi.fmt, false);
	hb_puts(b, "</span></div>\n");
	json_decref(worst);
	json_decref(best);
}

/* chosen: the axes were not given, so the parameter with more values
 * goes down the side (a page scrolls down more readily than across). */
static void heatmap(struct hbuf *b, const json_t *runs, const char *metric, int dir, const char *x,
		    const char *y, bool chosen)
{
	struct metric_info mi = metric_info(metric);
	struct axis ax, ay;
	int bad = axis_values(runs, x, &ax) < 0 || axis_values(runs, y, &ay) < 0;
	if (!bad && chosen && ax.n > ay.n && ax.n > 12) {
		struct axis t = ax;
		const char *tn = x;
		ax = ay;
		ay = t;
		x = y;
		y = tn;
	}
	hb_puts(b, "<section id=\"heatmap\">\n<h2>");
	hb_texts(b, mi.label);
	hb_puts(b, " by <span class=\"param\">");
	hb_texts(b, x);
	hb_puts(b, "</span> and <span class=\"param\">");
	hb_texts(b, y);
	hb_puts(b, "</span></h2>\n");
	if (bad) {
		hb_printf(b, "<p class=\"note\">A parameter takes more than %d values: no heat map."
			     "</p>\n</section>\n", MAX_AXIS);
		return;
	}
	struct heat *h = malloc(sizeof(*h));
	if (h == NULL) {
		b->oom = true;
		return;
	}
	heat_fill(h, runs, metric, dir, x, y, &ax, &ay);
	hb_puts(b, "<p class=\"note\">Each cell: the best value over the runs with that pair "
		   "(other parameters may differ); &mdash; where none succeeded. Greener is better."
		   "</p>\n");
	heat_legend(b, h, metric, dir);
	hb_puts(b, "<div class=\"scroll fit\"><table class=\"heat\">\n<thead><tr><th class=\"corner\">"
		   "<span class=\"param\">");
	hb_texts(b, y);
	hb_puts(b, "</span> &darr; &nbsp; <span class=\"param\">");
	hb_texts(b, x);
	hb_puts(b, "</span> &rarr;</th>");
	for (size_t i = 0; i < ax.n; i++) {
		hb_puts(b, "<th>");
		put_value(b, ax.v[i]);
		hb_puts(b, "</th>");
	}
	hb_puts(b, "</tr></thead>\n<tbody>\n");
	for (size_t r = 0; r < ay.n; r++) {
		hb_puts(b, "<tr><th scope=\"row\">");
		put_value(b, ay.v[r]);
		hb_puts(b, "</th>");
		for (size_t c = 0; c < ax.n; c++) {
			if (h->j[r][c] == NULL) {
				hb_puts(b, "<td class=\"empty\">&mdash;</td>");
				continue;
			}
			hb_printf(b, "<td class=\"h%d\">", heat_class(h, h->v[r][c]));
			put_formatted(b, h->j[r][c], mi.fmt, false);
			hb_puts(b, "</td>");
		}
		hb_puts(b, "</tr>\n");
	}
	hb_puts(b, "</tbody></table></div>\n</section>\n");
	free(h);
}

/* The ranking metric, the heat map's and its axes, checked. */
static int resolve(const json_t *names, const struct bt_grid_report_options *opt,
		   const bt_metric_field **rank, const bt_metric_field **heat, const char **x,
		   const char **y, sbx_error **err)
{
	const char *rn = opt && opt->rank ? opt->rank : "sharpe";
	const char *hn = opt && opt->heat ? opt->heat : rn;
	*rank = bt_metric_find(rn);
	*heat = bt_metric_find(hn);
	if (*rank == NULL || (*rank)->better == 0)
		return sbx_error_set(err, EINVAL, "report: %s is not a metric that ranks", rn);
	if (*heat == NULL || (*heat)->kind == BT_METRIC_TIME)
		return sbx_error_set(err, EINVAL, "report: %s is not a metric to map", hn);
	/* the axes not given: the first parameters not already on the other */
	*x = opt && opt->x ? opt->x : NULL;
	*y = opt && opt->y ? opt->y : NULL;
	const char *k;
	const json_t *v;
	json_object_foreach ((json_t *) names, k, v) {
		if (*x == NULL && (*y == NULL || strcmp(k, *y) != 0))
			*x = k;
		else if (*y == NULL && strcmp(k, *x) != 0)
			*y = k;
	}
	if (*x != NULL && *y != NULL && strcmp(*x, *y) == 0)
		return sbx_error_set(err, EINVAL, "report: the heat map's axes are both %s", *x);
	for (int i = 0; i < 2; i++) {
		const char *p = i ? *y : *x;
		if (p != NULL && json_object_get(names, p) == NULL)
			return sbx_error_set(err, EINVAL, "report: no run has a parameter named %s", p);
	}
	return 0;
}

static void grid_header(struct hbuf *b, const char *title, size_t n, const bt_metric_field *rank)
{
	hb_puts(b, "<header>\n<div class=\"title\"><h1>");
	hb_texts(b, title);
	hb_printf(b, "</h1></div>\n<p class=\"sub\">%zu run%s &middot; ranked by ", n,
		  n == 1 ? "" : "s");
	hb_texts(b, metric_info(rank->name).label);
	hb_puts(b, rank->better > 0 ? " (higher is better)" : " (lower is better)");
	hb_puts(b, "</p>\n</header>\n<main>\n");
}

char *bt_report_grid_html(const json_t *runs, const json_t *best,
			  const struct bt_grid_report_options *opt, sbx_error **err)
{
	const bt_metric_field *rank = NULL, *heat = NULL;
	const char *x = NULL, *y = NULL;
	if (!json_is_array(runs))
		return sbx_error_set(err, EINVAL, "report: the runs are not a JSON array"), NULL;
	if (best != NULL && !json_is_object(best))
		return sbx_error_set(err, EINVAL, "report: the best run is not a JSON object"), NULL;
	cleanup_decref json_t *names = param_names(runs);
	if (names == NULL)
		return sbx_error_set(err, ENOMEM, "report"), NULL;
	if (resolve(names, opt, &rank, &heat, &x, &y, err) < 0)
		return NULL;
	size_t n = json_array_size(runs);
	cleanup_free struct ranked *order = calloc(n + 1, sizeof(*order));
	if (order == NULL)
		return sbx_error_set(err, ENOMEM, "report"), NULL;
	for (size_t i = 0; i < n; i++) {
		const json_t *run = json_array_get(runs, i);
		double v;
		order[i].idx = i;
		order[i].v = run_ok(run) && json_finite(run_metric(run, rank->name), &v) == 0
				     ? v * rank->better
				     : NAN;
	}
	qsort(order, n, sizeof(*order), by_rank);

	const char *title = opt && opt->title ? opt->title : "Parameter sweep";
	struct hbuf body = { 0 };
	cleanup_decref json_t *data = NULL;
	grid_header(&body, title, n, rank);
	if (x != NULL && y != NULL)
		heatmap(&body, runs, heat->name, heat->better ? heat->better : 1, x, y,
			opt == NULL || (opt->x == NULL && opt->y == NULL));
	else
		hb_puts(&body, "<p class=\"note\">The runs vary fewer than two parameters: no heat "
			       "map.</p>\n");
	ranking(&body, runs, order, names, rank->name,
		opt && opt->max_rows ? opt->max_rows : DEFAULT_MAX_ROWS);
	if (best != NULL) {
		/* its parameters, as the ranking shows them */
		const json_t *params = json_object_get(best, "params");
		const char *k;
		const json_t *v;
		bool first = true;
		hb_puts(&body, "<h2 class=\"part\" id=\"best\">The best run");
		json_object_foreach ((json_t *) params, k, v) {
			hb_puts(&body, first ? ": " : ", ");
			first = false;
			hb_puts(&body, "<span class=\"param\">");
			hb_texts(&body, k);
			hb_puts(&body, "</span> <span class=\"iso\">");
			put_value(&body, v);
			hb_puts(&body, "</span>");
		}
		hb_puts(&body, "</h2>\n");
		report_backtest_body(&body, best, NULL, NULL, &data);
	}
	return report_page_around(&body, title, data, err);
}
