/* The prices a report charts, from the data a backtest ran on
 * (bt_report_bars in include/stratbox/report.h). */
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
