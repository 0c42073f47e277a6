/* The prices a report charts, from the data a backtest ran on, and a
 * result's report with them (bt_report_bars, bt_report_of_result in
 * include/stratbox/report.h). */
#include "stratbox/report.h"

#include <errno.h>
#include <jansson.h>

static void add(json_t *a, json_t *v, bool *ok)
{
	if (v == NULL || json_array_append_new(a, v) < 0)
		*ok = false;
}

json_t *bt_report_bars(const bt_data *d, sbx_error **err)
{
	static const char *const keys[] = { "time", "open", "high", "low", "close" };
	bool ok = true;
	json_t *bars = json_object();
	if (bars == NULL)
		ok = false;
	for (size_t k = 0; ok && k < d->nsym; k++) {
		const bt_symbol *s = &d->sym[k];
		const double *col[] = { NULL, s->open, s->high, s->low, s->close };
		json_t *o = json_object(), *a[5];
		if (o == NULL || json_object_set_new(bars, s->name, o) < 0) {
			ok = false;
			break;
		}
		for (int c = 0; c < 5 && ok; c++)
			if ((a[c] = json_array()) == NULL || json_object_set_new(o, keys[c], a[c]) < 0)
				ok = false;
		/* only where the symbol has a bar: elsewhere the aligned
		 * timeline holds its last Close, which is no bar to draw */
		for (size_t i = 0; ok && i < d->n; i++) {
			if (!s->has_bar[i])
				continue;
			add(a[0], json_integer((json_int_t) d->time[i]), &ok);
			for (int c = 1; c < 5; c++)
				add(a[c], json_real(col[c][i]), &ok);
		}
	}
	if (!ok) {
		json_decref(bars);
		sbx_error_set(err, ENOMEM, "report: the bars");
		return NULL;
	}
	return bars;
}

char *bt_report_of_result(const json_t *result, const bt_data *d, const char *title,
			  const char *rank, sbx_error **err)
{
	const json_t *runs = json_object_get(result, "runs");
	bool sweep = json_is_array(runs);
	const json_t *one = sweep ? json_object_get(result, "best") : result;
	/* a sweep whose runs all failed has no best run: its ranking alone */
	json_t *full = json_is_object(one) ? json_deep_copy(one) : NULL;
	if (json_is_object(one) && full == NULL)
		return sbx_error_set(err, ENOMEM, "report"), NULL;
	if (full != NULL) {
		json_t *bars = bt_report_bars(d, err);
		if (bars == NULL) {
			json_decref(full);
			return NULL;
		}
		json_object_set_new(full, "bars", bars);
	}
	char *html;
	if (sweep)
		html = bt_report_grid_html(
			runs, full, &(struct bt_grid_report_options){ .title = title, .rank = rank },
			err);
	else if (full != NULL)
		html = bt_report_html(full, &(struct bt_report_options){ .title = title }, err);
	else
		html = (sbx_error_set(err, 0, "a report needs a result object"), NULL);
	json_decref(full);
	return html;
}
