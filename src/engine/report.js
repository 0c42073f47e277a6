/* stratbox HTML report: draws the charts from the page's data block with
   TradingView's lightweight-charts (inlined before this script). Inlined
   byte for byte; its hash is in the page's Content-Security-Policy.
   It writes nothing into the page as HTML: the data's strings (symbol
   names) only reach the charts' canvases. */
(function () {
	"use strict";
	var LWC = window.LightweightCharts;
	var data = JSON.parse(document.getElementById("report-data").textContent);
	var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif';
	var C = {
		ink: "#1f2933", grid: "#eef1f5", border: "#c9d1db", long: "#16a34a", short: "#dc2626",
		exit: "#334155", equity: "#1d4ed8", bh: "#8a94a3", dd: "#dc2626"
	};

	function group(n) {
		var s = String(Math.round(Math.abs(n)));
		return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	}
	/* Axis labels: one style per scale (10,000 and 8,000, never 8000.00). */
	function money(v) {
		var a = Math.abs(v), s;
		if (a >= 1e6) s = (a / 1e6).toFixed(a >= 1e8 ? 0 : 2) + "M";
		else if (a >= 1000) s = group(a);
		else s = a.toFixed(2);
		return (v < 0 ? "\u2212" : "") + s;
	}
	/* Prices with the decimals their size calls for (2 for a stock, 4
	   for a currency pair's pips), thousands grouped. */
	function priceFormat(typical) {
		var a = Math.abs(typical);
		var d = a >= 1000 ? 0 : a >= 10 ? 2 : a >= 1 ? 4 : a >= 0.01 ? 5 : 8;
		return function (v) {
			var s = Math.abs(v).toFixed(d), k = s.indexOf(".");
			if (k < 0)
				k = s.length;
			s = s.slice(0, k).replace(/\B(?=(\d{3})+(?!\d))/g, ",") + s.slice(k);
			return (v < 0 && Number(s.replace(/,/g, "")) !== 0 ? "\u2212" : "") + s;
		};
	}
	function percent(v) {
		return (v < 0 && v.toFixed(1) !== "-0.0" ? "\u2212" : "") + Math.abs(v).toFixed(1) + " %";
	}

	/* bars: how many the chart shows; all of them fit its width (the
	   library's default minimum of half a pixel a bar would show only the
	   last 2,000 or so of a long series).  right: pixels kept free after
	   the last bar (for a marker's text). */
	function newChart(id, priceFormatter, bars, right) {
		var el = document.getElementById(id);
		var fit = Math.max(el.clientWidth - 90, 100) / Math.max(bars, 1);
		var offset = Math.max(2, Math.ceil((right || 8) * bars / Math.max(el.clientWidth - 90, 100)));
		return LWC.createChart(el, {
			autoSize: true,
			layout: {
				background: { type: "solid", color: "#ffffff" }, textColor: C.ink,
				fontSize: 12, fontFamily: FONT, attributionLogo: false
			},
			grid: { vertLines: { color: C.grid }, horzLines: { color: C.grid } },
			/* one width for every chart's scale: their time axes line up */
			rightPriceScale: {
				borderColor: C.border, scaleMargins: { top: 0.08, bottom: 0.08 }, minimumWidth: 84
			},
			timeScale: {
				borderColor: C.border, timeVisible: data.intraday, secondsVisible: false,
				rightOffset: offset, minBarSpacing: Math.min(0.5, fit * 0.5)
			},
			crosshair: { mode: LWC.CrosshairMode.Normal },
			localization: { priceFormatter: priceFormatter },
			handleScroll: { mouseWheel: false, pressedMouseMove: true },
			handleScale: { mouseWheel: true, pinch: true, axisPressedMouseMove: true }
		});
	}

	/* Markers of one symbol's trades, in time order (the library needs it). */
	function markers(list) {
		var withText = list.length <= 80, out = [];
		for (var i = 0; i < list.length; i++) {
			var t = list[i][0], kind = list[i][1], text = list[i][2];
			if (kind === 0)
				out.push({ time: t, position: "belowBar", shape: "arrowUp", color: C.long, text: "" });
			else if (kind === 1)
				out.push({ time: t, position: "aboveBar", shape: "arrowDown", color: C.short, text: "" });
			else
				out.push({
					time: t, position: kind === 2 ? "aboveBar" : "belowBar", shape: "circle",
					color: C.exit, text: withText ? text : "", size: 0.7
				});
		}
		out.sort(function (a, b) { return a.time - b.time; });
		return out;
	}

	/* Prices or equity spanning more than a factor of 30 (a bitcoin's
	   decade, a strategy that compounds) read better on a log scale; the
	   chart's legend says so. */
	function logScale(chart, id, lo, hi) {
		if (!(lo > 0 && hi / lo > 30))
			return;
		chart.priceScale("right").applyOptions({ mode: LWC.PriceScaleMode.Logarithmic });
		var legend = document.getElementById(id).previousElementSibling;
		if (legend && legend.className === "legend") {
			var item = document.createElement("span");
			item.className = "item scale";
			item.textContent = "logarithmic scale";
			legend.appendChild(item);
		}
	}
	function lowest(a) {
		return a.reduce(function (m, v) { return v < m ? v : m; }, Infinity);
	}
	function highest(a) {
		return a.reduce(function (m, v) { return v > m ? v : m; }, -Infinity);
	}

	function priceChart(p, i) {
		var id = "price-" + i, list = markers(p.m);
		var labelled = list.some(function (m) { return m.text !== ""; });
		var chart = newChart(id, priceFormat(p.c[p.c.length >> 1]), p.t.length, labelled ? 48 : 8);
		var s = chart.addCandlestickSeries({
			upColor: C.long, downColor: C.short, borderVisible: false,
			wickUpColor: C.long, wickDownColor: C.short, priceLineVisible: false,
			title: p.symbol
		});
		var bars = new Array(p.t.length);
		for (var k = 0; k < p.t.length; k++)
			bars[k] = { time: p.t[k], open: p.o[k], high: p.h[k], low: p.l[k], close: p.c[k] };
		s.setData(bars);
		s.setMarkers(list);
		logScale(chart, id, lowest(p.l), highest(p.h));
		chart.timeScale().fitContent();
		return { chart: chart, n: p.t.length, first: p.t[0], last: p.t[p.t.length - 1] };
	}

	function series(t, v) {
		var out = new Array(t.length);
		for (var k = 0; k < t.length; k++)
			out[k] = { time: t[k], value: v[k] };
		return out;
	}

	function equityCharts(e) {
		var eq = newChart("equity", money, e.t.length);
		if (e.bh) {
			eq.addLineSeries({
				color: C.bh, lineWidth: 2, lineStyle: LWC.LineStyle.Dashed,
				priceLineVisible: false, lastValueVisible: false, title: "buy & hold"
			}).setData(series(e.t, e.bh));
		}
		eq.addLineSeries({
			color: C.equity, lineWidth: 2, priceLineVisible: false, title: "strategy"
		}).setData(series(e.t, e.v));
		logScale(eq, "equity", Math.min(lowest(e.v), e.bh ? lowest(e.bh) : Infinity),
			 Math.max(highest(e.v), e.bh ? highest(e.bh) : -Infinity));
		eq.timeScale().fitContent();

		var dd = newChart("drawdown", percent, e.t.length);
		dd.addBaselineSeries({
			baseValue: { type: "price", price: 0 },
			bottomLineColor: C.dd, bottomFillColor1: "rgba(220, 38, 38, 0.08)",
			bottomFillColor2: "rgba(220, 38, 38, 0.35)",
			topLineColor: C.dd, topFillColor1: "rgba(0, 0, 0, 0)", topFillColor2: "rgba(0, 0, 0, 0)",
			lineWidth: 1, priceLineVisible: false, title: "drawdown"
		}).setData(series(e.t, e.dd));
		dd.timeScale().fitContent();
		return [eq, dd];
	}

	/* Charts over the same bars scroll and zoom together. */
	function link(charts) {
		var busy = false;
		charts.forEach(function (c) {
			c.timeScale().subscribeVisibleLogicalRangeChange(function (r) {
				if (busy || r === null)
					return;
				busy = true;
				charts.forEach(function (o) {
					if (o !== c)
						o.timeScale().setVisibleLogicalRange(r);
				});
				busy = false;
			});
		});
	}

	var prices = (data.price || []).map(priceChart);
	if (data.equity) {
		var e = data.equity, linked = equityCharts(e);
		prices.forEach(function (p) {
			if (p.n === e.t.length && p.first === e.t[0] && p.last === e.t[e.t.length - 1])
				linked.push(p.chart);
		});
		link(linked);
	}
	document.documentElement.setAttribute("data-report", "ready");
})();
