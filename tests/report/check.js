#!/usr/bin/env node
/* The HTML report, end to end: real results of the engine on the bundled
 * data (tests/report/report-gen.c runs a small trusted strategy), a failed
 * run, sweeps, and the same with hostile strings wherever a strategy has a
 * say; each page is checked as text (its Content-Security-Policy, the
 * hashes of its inline code, no external reference, nothing hostile left
 * unescaped) and then opened in headless Chromium (no exception, no
 * console error or warning, no CSP report, no network request, the charts
 * drawn with pixels of their series' colours, the tables as expected).
 *
 *   node tests/report/check.js REPORT-GEN DATA-DIR [--shots DIR] [--keep DIR]
 *
 * --shots writes a full-page screenshot of each page there; --keep keeps
 * the pages and the results.  Prints a line per check and
 * "report: N passed, N failed, N skipped". */
"use strict";
const { execFileSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { Browser, findChromium } = require("./cdp");

const args = process.argv.slice(2);
const opt = (name) => {
	const i = args.indexOf(name);
	return i >= 0 ? args.splice(i, 2)[1] : null;
};
const shots = opt("--shots"), keep = opt("--keep");
const [reportGen, dataDir] = args;
if (!reportGen || !dataDir) {
	process.stderr.write("usage: check.js REPORT-GEN DATA-DIR [--shots DIR] [--keep DIR]\n");
	process.exit(2);
}
const work = keep || fs.mkdtempSync(path.join(os.tmpdir(), "stratbox-report-"));
fs.mkdirSync(work, { recursive: true });
if (shots)
	fs.mkdirSync(shots, { recursive: true });

let passed = 0, failed = 0, skipped = 0;
function result(name, problems) {
	if (problems.length === 0) {
		passed++;
		console.log(`ok   ${name}`);
	} else {
		failed++;
		console.log(`FAIL ${name}`);
		for (const p of problems.slice(0, 20))
			console.log(`     ${p}`);
		if (problems.length > 20)
			console.log(`     ... ${problems.length - 20} more`);
	}
}

/* ---- inputs ------------------------------------------------------------ */

function gen(argv, out) {
	const text = execFileSync(reportGen, argv, { maxBuffer: 1 << 28, encoding: "utf8" });
	if (out)
		fs.writeFileSync(path.join(work, out), text);
	return text;
}
const data = (f) => path.join(dataDir, f);
const backtest = (argv) => JSON.parse(gen(["--backtest", ...argv]));
function page(name, argv) {
	const file = path.join(work, name + ".html");
	fs.writeFileSync(file, gen(argv));
	return file;
}
function saveJson(name, v) {
	const f = path.join(work, name + ".json");
	fs.writeFileSync(f, JSON.stringify(v));
	return f;
}

/* Strings a strategy could produce, aimed at every context of the page:
 * markup, attributes, the script data block, the parser's escaped states,
 * JavaScript's line terminators, entities, controls, bidi. */
const HOSTILE = [
	"</script><script>window.__pwned=1</script>",
	"<img src=x onerror=\"window.__pwned=2\">",
	"\"><svg onload=window.__pwned=3>",
	"'><iframe src=javascript:window.__pwned=4>",
	"<!--<script>",
	"line\u2028separator\u2029paragraph",
	"&lt;already escaped&gt; &amp; &#60;",
	"nul\u0000ctl\u0001\u001b[31m",
	"<style>body{display:none}</style>",
	"<base href=\"http://127.0.0.1:9/\">",
	"<meta http-equiv=\"refresh\" content=\"0;url=http://127.0.0.1:9/\">",
	"<a href=\"javascript:window.__pwned=5\">click</a>",
	"\ufeff\u202eright-to-left",
	"`${window.__pwned=6}`",
];
const HOSTILE_ALL = "\n" + HOSTILE.join("\n") + "\n";
/* What a page shows of a string: NUL and the C0 controls other than tab
 * and newline become U+FFFD. */
const shown = (s) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "\ufffd");
const TITLE = HOSTILE.join(" ").replace(/\0/g, ""); /* argv holds no NUL */
const SYM = "GO\"OG'</script><img src=x onerror=window.__pwned=7>\u2028";
const PARAM = "fast\"><img src=x onerror=window.__pwned=8>'";

/* ---- checks on the text ------------------------------------------------ */

const sha256 = (s) => "sha256-" + crypto.createHash("sha256").update(s, "utf8").digest("base64");

/* The page's inline scripts and style sheets, and the markup without them. */
function parts(html) {
	const scripts = [], styles = [];
	let markup = html.replace(/<script([^>]*)>([\s\S]*?)<\/script>/gi, (m, attrs, body) => {
		scripts.push({ attrs, body });
		return "<script></script>";
	});
	markup = markup.replace(/<style([^>]*)>([\s\S]*?)<\/style>/gi, (m, attrs, body) => {
		styles.push({ attrs, body });
		return "<style></style>";
	});
	return { scripts, styles, markup };
}

function textChecks(html, { charts }) {
	const p = [];
	const { scripts, styles, markup } = parts(html);
	const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
	if (!m)
		return ["no Content-Security-Policy meta element"];
	const headStart = html.indexOf("<head>");
	const first = Math.min(...["<style", "<script", "<title", "<link", "<base"].map((t) => {
		const i = html.indexOf(t);
		return i < 0 ? Infinity : i;
	}));
	if (!(m.index > headStart && m.index < first))
		p.push("the policy is not before everything it governs in <head>");
	const csp = {};
	for (const d of m[1].split(";").map((s) => s.trim()).filter(Boolean)) {
		const [name, ...srcs] = d.split(/\s+/);
		csp[name] = srcs;
	}
	for (const d of ["default-src", "connect-src", "img-src", "font-src", "media-src", "object-src",
		"frame-src", "worker-src", "base-uri", "form-action"])
		if (!csp[d] || csp[d].join(" ") !== "'none'")
			p.push(`CSP ${d} is not 'none': ${csp[d]}`);
	for (const [d, srcs] of Object.entries(csp))
		for (const s of srcs)
			if (s !== "'none'" && !/^'sha256-[A-Za-z0-9+/]{43}='$/.test(s))
				p.push(`CSP ${d} allows ${s}`);
	const exec = scripts.filter((s) => !/type="application\/json"/.test(s.attrs));
	const blocks = scripts.filter((s) => /type="application\/json"/.test(s.attrs));
	const want = charts ? 2 : 0;
	if (exec.length !== want)
		p.push(`${exec.length} executable scripts, expected ${want}`);
	if (blocks.length !== (charts ? 1 : 0))
		p.push(`${blocks.length} data blocks, expected ${charts ? 1 : 0}`);
	if (!charts && csp["script-src"].join(" ") !== "'none'")
		p.push("a page without charts allows scripts");
	const listed = (d) => (csp[d] || []).map((s) => s.slice(1, -1));
	const scriptHashes = exec.map((s) => sha256(s.body)), styleHashes = styles.map((s) => sha256(s.body));
	for (const h of scriptHashes)
		if (!listed("script-src").includes(h))
			p.push(`a script's hash ${h} is not in the policy`);
	for (const h of listed("script-src"))
		if (h !== "none" && !scriptHashes.includes(h))
			p.push(`the policy allows a script that is not on the page: ${h}`);
	if (styles.length !== 1 || !listed("style-src").includes(styleHashes[0]))
		p.push("the style sheet is not the one allowed by hash");
	/* the data block: nothing that ends it or switches the tokenizer */
	for (const b of blocks) {
		if (/<\/?script|<!--|[\u2028\u2029]/i.test(b.body))
			p.push("the data block holds </script, <script, <!-- or a raw U+2028/U+2029");
		try {
			JSON.parse(b.body);
		} catch (e) {
			p.push("the data block is not JSON: " + e.message);
		}
	}
	/* the markup outside the inline code */
	const bad = /<(img|svg|iframe|base|object|embed|link|form|input|button|math|video|audio|source|frame)\b|<meta[^>]*http-equiv="?refresh|\son[a-z]+\s*=|javascript:|<script\b(?![^>]*>\s*<\/script>)/gi;
	let b;
	const tags = markup.replace(/>[^<]*</g, "><"); /* text can say anything, escaped */
	while ((b = bad.exec(tags)) !== null)
		p.push(`markup outside the escapes: ${JSON.stringify(b[0])}`);
	const srcs = tags.match(/\s(src|srcset|action|formaction|poster|background)\s*=/gi);
	if (srcs)
		p.push(`external references: ${srcs.join(", ")}`);
	const hrefs = tags.match(/\shref="[^"]*"/g) || [];
	if (hrefs.some((h) => h !== ' href="https://www.tradingview.com/"'))
		p.push(`links other than the library's attribution: ${hrefs.join(", ")}`);
	if (charts !== hrefs.length > 0)
		p.push(charts ? "no attribution link to TradingView" : "a link on a page without the library");
	if (/url\(|@import/i.test(styles.map((s) => s.body).join("")))
		p.push("the style sheet refers to something outside the page");
	if (charts && !/Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/.test(markup))
		p.push("the library's licence text is not in the page");
	return p;
}

/* ---- checks in the browser ---------------------------------------------- */

/* Per chart: its canvases and how many of their pixels are strongly
 * coloured (the series: green and red candles, the blue equity line, the
 * red drawdown; the grid and the text are grey). */
const CHART_PIXELS = `(() => {
	const out = [];
	for (const div of document.querySelectorAll("div.chart")) {
		let colored = 0, canvases = 0;
		for (const c of div.querySelectorAll("canvas")) {
			canvases++;
			if (!c.width || !c.height)
				continue;
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			for (let i = 0; i < d.length; i += 4) {
				const mx = Math.max(d[i], d[i + 1], d[i + 2]), mn = Math.min(d[i], d[i + 1], d[i + 2]);
				if (d[i + 3] > 128 && mx - mn > 80)
					colored++;
			}
		}
		out.push({ id: div.id, canvases, colored, w: div.clientWidth, h: div.clientHeight });
	}
	return out;
})()`;

/* What a page must not have, whatever was escaped into it. */
const DOM_SAFETY = `(() => {
	const p = [];
	if (window.__pwned !== undefined)
		p.push("injected code ran: window.__pwned = " + window.__pwned);
	const allowed = new Set(["HTML", "HEAD", "META", "TITLE", "STYLE", "BODY", "HEADER", "MAIN",
		"FOOTER", "SECTION", "DIV", "SPAN", "H1", "H2", "P", "TABLE", "CAPTION", "THEAD", "TBODY",
		"TR", "TH", "TD", "PRE", "A", "DETAILS", "SUMMARY", "SCRIPT", "CANVAS"]);
	for (const el of document.querySelectorAll("*")) {
		if (!allowed.has(el.tagName))
			p.push("unexpected element <" + el.tagName.toLowerCase() + ">");
		for (const a of el.attributes)
			if (/^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value))
				p.push("attribute " + a.name + "=" + JSON.stringify(a.value) + " on <" + el.tagName.toLowerCase() + ">");
	}
	if (document.querySelectorAll("meta[http-equiv]").length !== 1)
		p.push("meta http-equiv other than the policy");
	if (document.querySelectorAll("style").length !== 1)
		p.push(document.querySelectorAll("style").length + " style elements");
	return p;
})()`;

async function settle(pg, charts) {
	if (!charts)
		return [];
	/* the script marks the page ready; the library draws on animation
	 * frames (and again once its ResizeObserver has the sizes) */
	const deadline = Date.now() + 15000;
	let px = [];
	while (Date.now() < deadline) {
		const ready = await pg.eval("document.documentElement.getAttribute('data-report')");
		if (ready === "ready") {
			await pg.eval("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
			px = await pg.eval(CHART_PIXELS);
			if (px.length > 0 && px.every((c) => c.colored >= 200))
				return px;
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	return px;
}

let browser = null;

/* Open a page, run the common checks and the case's own; one result. */
async function check(name, file, { charts, minCharts = 0, extra, expectProblems } = {}) {
	const html = fs.readFileSync(file, "utf8");
	const p = textChecks(html, { charts });
	const url = "file://" + file;
	let pg;
	try {
		pg = await browser.open(url);
		const px = await settle(pg, charts);
		if (charts) {
			if (px.length < minCharts)
				p.push(`${px.length} charts, expected ${minCharts}`);
			for (const c of px) {
				if (c.canvases === 0)
					p.push(`chart ${c.id}: no canvas`);
				if (c.colored < 200)
					p.push(`chart ${c.id}: not drawn (${c.colored} coloured pixels)`);
				if (c.w < 300 || c.h < 100)
					p.push(`chart ${c.id}: ${c.w}x${c.h}`);
			}
		} else if ((await pg.eval("document.querySelectorAll('canvas, div.chart').length")) !== 0) {
			p.push("charts on a page without scripts");
		}
		p.push(...(await pg.eval(DOM_SAFETY)));
		const others = pg.requests.filter((r) => r.url !== url);
		if (others.length)
			p.push(`network requests: ${others.map((r) => r.url).join(", ")}`);
		if (expectProblems)
			p.push(...expectProblems(pg.problems));
		else
			p.push(...pg.problems);
		if (extra)
			p.push(...(await extra(pg, html)));
		if (shots)
			await pg.screenshot(path.join(shots, path.basename(file, ".html") + ".png"));
	} catch (e) {
		p.push(String(e.stack || e));
	} finally {
		if (pg)
			await pg.close().catch(() => {});
	}
	result(name, p);
}

/* The text of the elements matching a selector. */
const texts = (pg, sel) => pg.eval(`[...document.querySelectorAll(${JSON.stringify(sel)})].map((e) => e.textContent)`);
const text = (pg, sel) => pg.eval(`(document.querySelector(${JSON.stringify(sel)}) || {}).textContent`);
const expectEq = (what, got, want) =>
	got === want ? [] : [`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`];

/* A number as the report writes it: grouped, fixed decimals, U+2212. */
function fmt(v, decimals) {
	if (v === null || v === undefined || !isFinite(v))
		return "\u2014";
	const s = Math.abs(v).toFixed(decimals);
	const zero = /^[0.]*$/.test(s);
	const [w, f] = s.split(".");
	return (v < 0 && !zero ? "\u2212" : "") + w.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (f ? "." + f : "");
}
const pct = (v) => (typeof v === "number" ? fmt(v, 2) + "\u00a0%" : "\u2014");
const METRIC_FMT = { sharpe: (v) => fmt(v, 2), return_pct: pct, max_drawdown_pct: pct };
const BETTER = { sharpe: 1, return_pct: 1, max_drawdown_pct: -1 };

/* The ranking the page must show: OK runs with the metric by it, in its
 * direction, ties in input order; then the rest in input order. */
function expectedRanking(runs, metric) {
	const key = (r) => {
		const v = r.metrics && r.metrics[metric];
		return r.status === "OK" && typeof v === "number" && isFinite(v) ? v * BETTER[metric] : null;
	};
	return runs.map((r, i) => ({ r, i, k: key(r) })).sort((a, b) => {
		if ((a.k === null) !== (b.k === null))
			return a.k === null ? 1 : -1;
		if (a.k !== null && a.k !== b.k)
			return b.k - a.k;
		return a.i - b.i;
	}).map((x) => x.r);
}

async function rankingChecks(pg, runs, metric, shownRows) {
	const p = [];
	const rows = await pg.eval(`[...document.querySelectorAll("#ranking tbody tr")].map((tr) =>
		[...tr.children].map((td) => td.textContent))`);
	const head = await texts(pg, "#ranking thead th");
	const want = expectedRanking(runs, metric).slice(0, shownRows);
	p.push(...expectEq("rows of the ranking", rows.length, want.length));
	const names = Object.keys(runs[0].params);
	p.push(...expectEq("ranking columns", head.slice(0, names.length + 1).join("|"), ["Rank", ...names].join("|")));
	for (let i = 0; i < Math.min(rows.length, want.length); i++) {
		const got = rows[i].slice(0, names.length + 2);
		const exp = [String(i + 1), ...names.map((n) => String(want[i].params[n])),
			METRIC_FMT[metric](want[i].metrics ? want[i].metrics[metric] : null)];
		if (got.join("|") !== exp.join("|")) {
			p.push(`ranking row ${i + 1}: got ${got.join(" | ")}, want ${exp.join(" | ")}`);
			break;
		}
	}
	return p;
}

async function heatChecks(pg, runs, metric, x, y) {
	const p = [];
	const xs = [...new Set(runs.map((r) => r.params[x]))].sort((a, b) => a - b);
	const ys = [...new Set(runs.map((r) => r.params[y]))].sort((a, b) => a - b);
	const cells = await pg.eval(`[...document.querySelectorAll("#heatmap tbody tr")].map((tr) =>
		[...tr.querySelectorAll("td")].map((td) => [td.className, td.textContent]))`);
	const colHead = await texts(pg, "#heatmap thead th:not(.corner)");
	const rowHead = await texts(pg, "#heatmap tbody th");
	p.push(...expectEq("heat map columns", colHead.join(","), xs.join(",")));
	p.push(...expectEq("heat map rows", rowHead.join(","), ys.join(",")));
	let best = null, worst = null;
	for (const r of runs)
		if (r.status === "OK" && r.metrics && typeof r.metrics[metric] === "number") {
			const v = r.metrics[metric] * BETTER[metric];
			if (best === null || v > best.v)
				best = { v, r };
			if (worst === null || v < worst.v)
				worst = { v, r };
		}
	for (let i = 0; i < ys.length && i < cells.length; i++)
		for (let k = 0; k < xs.length; k++) {
			const rs = runs.filter((r) => r.params[x] === xs[k] && r.params[y] === ys[i] &&
				r.status === "OK" && typeof r.metrics[metric] === "number");
			const cell = cells[i][k] || ["", "(missing)"];
			const want = rs.length ? METRIC_FMT[metric](rs.map((r) => r.metrics[metric])
				.reduce((a, b) => (a * BETTER[metric] >= b * BETTER[metric] ? a : b))) : "\u2014";
			if (cell[1] !== want)
				p.push(`heat map ${y}=${ys[i]} ${x}=${xs[k]}: ${cell[1]}, want ${want}`);
			if (best && rs.includes(best.r) && cell[0] !== "h8")
				p.push(`the best cell (${x}=${xs[k]}, ${y}=${ys[i]}) is ${cell[0]}, not h8`);
			if (worst && rs.includes(worst.r) && cell[0] !== "h0")
				p.push(`the worst cell (${x}=${xs[k]}, ${y}=${ys[i]}) is ${cell[0]}, not h0`);
			if (!rs.length && cell[0] !== "empty")
				p.push(`heat map ${y}=${ys[i]} ${x}=${xs[k]}: no run but class ${cell[0]}`);
		}
	return p;
}

/* ---- the cases -------------------------------------------------------- */

async function main() {
	if (!findChromium()) {
		console.log("report: 0 passed, 0 failed, 1 skipped (no chromium)");
		return 0;
	}
	browser = await Browser.launch();
	try {
		await cases();
	} catch (e) {
		result("the cases ran to their end", [String(e.stack || e)]);
	} finally {
		await browser.close();
		if (!keep)
			fs.rmSync(work, { recursive: true, force: true });
	}
	console.log(`report: ${passed} passed, ${failed} failed, ${skipped} skipped`);
	return failed ? 1 : 0;
}

async function cases() {
	/* real results of the engine */
	const goog = backtest(["--data", `GOOG=${data("GOOG.csv")}`]);
	const googFile = saveJson("goog", goog);
	await check("backtest, GOOG daily", page("goog", ["--title", "sma_cross.py", googFile]), {
		charts: true, minCharts: 3, extra: async (pg, html) => {
			const p = [];
			const m = goog.metrics;
			const d = JSON.parse(parts(html).scripts.find((s) => /application\/json/.test(s.attrs)).body);
			p.push(...expectEq("markers", d.price[0].m.length, 2 * goog.trades.length));
			p.push(...expectEq("bars charted", d.price[0].t.length, goog.bars.GOOG.time.length));
			p.push(...expectEq("buy & hold drawn", Array.isArray(d.equity.bh), true));
			p.push(...expectEq("trade rows", (await texts(pg, "#trades tbody tr")).length, goog.trades.length));
			const metricRows = await texts(pg, "#metrics tr");
			p.push(...expectEq("metric rows", metricRows.length, Object.keys(m).length));
			const cards = await texts(pg, ".card .value");
			p.push(...expectEq("return card", cards[0], (m.return_pct > 0 ? "+" : "") + fmt(m.return_pct, 2) + "\u00a0%"));
			p.push(...expectEq("badge", await text(pg, ".badge"), "OK"));
			p.push(...expectEq("output", await text(pg, "#output-text"), goog.output));
			return p;
		},
	});

	const two = backtest(["--data", `GOOG=${data("GOOG.csv")}`, "--data", `YHOO=${data("yhoo-1996-2015.txt")}`,
		"--start", "2006-01-01", "--end", "2012-12-31", "--stop", "8"]);
	await check("backtest, two symbols with stop-loss and take-profit",
		page("two", ["--title", "rotation.py", saveJson("two", two)]), {
			charts: true, minCharts: 4, extra: async (pg) => {
				const p = [];
				const heads = await texts(pg, "#charts h2 .sym");
				p.push(...expectEq("price charts", heads.join(","), "GOOG,YHOO"));
				const head = await texts(pg, "#trades thead th");
				p.push(...expectEq("sl/tp columns", head.includes("Stop-loss") && head.includes("Take-profit"), true));
				const exits = new Set(await texts(pg, "#trades tbody td:nth-last-child(4)"));
				for (const e of ["stop-loss", "take-profit", "signal"])
					if (!exits.has(e))
						p.push(`no trade exits by ${e}`);
				return p;
			},
		});

	const eur = backtest(["--data", `EURUSD=${data("EURUSD.csv")}`, "--fast", "20", "--slow", "60"]);
	await check("backtest, EURUSD hourly", page("eurusd", [saveJson("eurusd", eur)]), {
		charts: true, minCharts: 3, extra: async (pg, html) => {
			const d = JSON.parse(parts(html).scripts.find((s) => /application\/json/.test(s.attrs)).body);
			return expectEq("intraday axis", d.intraday, true);
		},
	});

	const btc = backtest(["--data", `BTCUSD=${data("BTCUSD.csv")}`, "--fast", "3", "--slow", "12"]);
	await check("backtest, BTCUSD monthly, few trades", page("btc", [saveJson("btc", btc)]), {
		charts: true, minCharts: 3,
	});

	/* a run that failed: its verdict, error and output, nothing else */
	const failedRun = {
		status: "TIMEOUT_CPU",
		verdict: { status: "TIMEOUT_CPU", message: "CPU time limit exceeded: " + HOSTILE[1], exit_code: 137,
			signal: 9, wall_ms: 2004.5, cpu_user_ms: 2000.1, memory_peak_bytes: 41943040,
			limits: { memory_bytes: 536870912, cpu_time_ms: 2000 } },
		error: "Traceback: " + HOSTILE_ALL, traceback: HOSTILE_ALL, output: HOSTILE_ALL, stderr: HOSTILE_ALL,
		params: { [PARAM]: HOSTILE[0] },
	};
	await check("failed run: verdict, escaped error and output, no metrics",
		page("failed", ["--title", HOSTILE[0], saveJson("failed", failedRun)]), {
			charts: false, extra: async (pg) => {
				const p = [];
				p.push(...expectEq("badge", await text(pg, ".badge"), "TIMEOUT_CPU"));
				p.push(...expectEq("alert", await text(pg, ".alert h2"), "The strategy's run failed: TIMEOUT_CPU"));
				p.push(...expectEq("message", await text(pg, ".alert p"), shown(failedRun.verdict.message)));
				p.push(...expectEq("error", await text(pg, "#error-text"), shown(failedRun.error)));
				p.push(...expectEq("traceback", await text(pg, "#traceback"), shown(HOSTILE_ALL)));
				p.push(...expectEq("output", await text(pg, "#output-text"), shown(HOSTILE_ALL)));
				p.push(...expectEq("stderr", await text(pg, "#stderr-text"), shown(HOSTILE_ALL)));
				p.push(...expectEq("title", await pg.eval("document.title"), HOSTILE[0]));
				p.push(...expectEq("parameter", (await texts(pg, "#settings th")).includes(PARAM), true));
				for (const sel of [".cards", "#charts", "#metrics", "#trades"])
					if (await pg.eval(`!!document.querySelector(${JSON.stringify(sel)})`))
						p.push(`a failed run shows ${sel}`);
				return p;
			},
		});

	const refused = {
		status: "VALIDATION_ERROR", success: false, output: "", error: "line 3: " + HOSTILE[2],
		violations: [{ line: 3, col: 1, rule: "import", severity: "error", message: HOSTILE[2] },
			{ line: 9, col: 5, rule: HOSTILE[1], severity: "error", message: HOSTILE_ALL }],
	};
	await check("refused by the validator: the findings, escaped",
		page("refused", [saveJson("refused", refused)]), {
			charts: false, extra: async (pg) => {
				const cells = await texts(pg, "#violations td");
				return [...expectEq("findings", cells.length, 10),
					...expectEq("message", cells[4], shown(HOSTILE[2])),
					...expectEq("rule", cells[7], shown(HOSTILE[1])),
					...expectEq("message 2", cells[9], shown(HOSTILE_ALL))];
			},
		});

	/* the real result again, every strategy-controlled string hostile */
	const h = JSON.parse(JSON.stringify(goog));
	h.config.symbols[0].name = SYM;
	h.config.symbols[0].source = HOSTILE[9];
	for (const t of h.trades)
		t.symbol = SYM;
	h.trades[0].exit_reason = HOSTILE[0];
	h.bars = { [SYM]: goog.bars.GOOG };
	h.params = { [PARAM]: HOSTILE[1], "q\"uote's": HOSTILE[5], [HOSTILE[0]]: { nested: HOSTILE[4] } };
	h.output = HOSTILE_ALL;
	h.stderr = HOSTILE_ALL;
	h.error = null;
	h.provenance = { [HOSTILE[3]]: { [HOSTILE[2]]: HOSTILE_ALL }, code_sha256: HOSTILE[10] };
	h.lookahead_bars = [HOSTILE[11], "2010-01-04T00:00:00Z"];
	h.metrics[HOSTILE[12]] = HOSTILE[13];
	await check("hostile strings in a real result: escaped, inert, shown as they are",
		page("hostile", ["--title", TITLE, saveJson("hostile", h)]), {
			charts: true, minCharts: 3, extra: async (pg, html) => {
				const p = [];
				p.push(...expectEq("title", await pg.eval("document.title"),
					shown(TITLE).replace(/[\t\n\f\r ]+/g, " ").replace(/^ | $/g, "")));
				p.push(...expectEq("h1", await text(pg, "h1"), shown(TITLE)));
				p.push(...expectEq("symbol in the header", await text(pg, ".sub .sym"), SYM));
				p.push(...expectEq("symbol over its chart", await text(pg, "#charts h2 .sym"), SYM));
				p.push(...expectEq("output", await text(pg, "#output-text"), shown(HOSTILE_ALL)));
				p.push(...expectEq("stderr", await text(pg, "#stderr-text"), shown(HOSTILE_ALL)));
				const th = await texts(pg, "#settings th, #provenance th");
				for (const k of [PARAM, "q\"uote's", HOSTILE[0] + ".nested", shown(HOSTILE[3] + "." + HOSTILE[2])])
					if (!th.includes(k))
						p.push(`row ${JSON.stringify(k)} not shown as it is`);
				const td = await texts(pg, "#provenance td");
				p.push(...expectEq("provenance value", td[0], shown(HOSTILE_ALL)));
				const d = JSON.parse(parts(html).scripts.find((s) => /application\/json/.test(s.attrs)).body);
				p.push(...expectEq("symbol in the data block", d.price[0].symbol, SYM));
				p.push(...expectEq("markers on the hostile symbol", d.price[0].m.length, 2 * h.trades.length));
				const notIsolated = await pg.eval(`[...document.querySelectorAll(".sym, .param, .iso")]
					.filter((e) => e.tagName !== "TD" && getComputedStyle(e).unicodeBidi !== "isolate").length`);
				p.push(...expectEq("inline strategy text not bidi-isolated", notIsolated, 0));
				const la = await text(pg, "#lookahead p");
				p.push(...expectEq("lookahead bars", la, shown(HOSTILE[11]) + ", 2010-01-04"));
				return p;
			},
		});

	/* the policy is enforced, not only written: code and loads slipped
	 * into a page by hand are refused, and nothing leaves the machine */
	const injected = path.join(work, "injected.html");
	fs.writeFileSync(injected, fs.readFileSync(path.join(work, "goog.html"), "utf8").replace("</body>",
		"<script>document.title='pwned'; fetch('http://127.0.0.1:9/x')</script>" +
		"<img src=\"http://127.0.0.1:9/x.png\"><div style=\"background:url(http://127.0.0.1:9/y.png)\">x</div>" +
		"</body>"));
	{
		const p = [];
		let pg;
		try {
			pg = await browser.open("file://" + injected);
			await settle(pg, true);
			p.push(...expectEq("title after an injected script", await pg.eval("document.title"), "sma_cross.py"));
			const net = pg.requests.filter((r) => r.url.includes("127.0.0.1") && r.blocked !== "csp");
			if (net.length)
				p.push(`requests not blocked by the policy: ${net.map((r) => r.url).join(", ")}`);
			const csp = pg.problems.filter((s) => /Content Security Policy/.test(s));
			for (const what of ["script", "image", "style"])
				if (!csp.some((s) => new RegExp(what, "i").test(s)))
					p.push(`no CSP report of the injected ${what}: ${JSON.stringify(pg.problems)}`);
			/* and from the page's own context: a script the policy let run
			 * cannot reach the network either */
			const fetched = await pg.eval(`new Promise((resolve) => {
				document.addEventListener("securitypolicyviolation",
					(e) => resolve(e.effectiveDirective), { once: true });
				fetch("http://127.0.0.1:9/z").then(() => resolve("fetched"),
					() => setTimeout(() => resolve("failed, but not by the policy"), 2000));
			})`);
			p.push(...expectEq("fetch from the page: the directive that refused it", fetched, "connect-src"));
		} catch (e) {
			p.push(String(e.stack || e));
		} finally {
			if (pg)
				await pg.close().catch(() => {});
		}
		result("the Content-Security-Policy is enforced (injected script, image, style, fetch)", p);
	}

	/* sweeps: 200 combinations, ranked each metric its own way */
	const runs = JSON.parse(gen(["--sweep", "5:50:5,20:115:5", "--data", `GOOG=${data("GOOG.csv")}`]));
	const runsFile = saveJson("runs", runs);
	const bestSharpe = expectedRanking(runs, "sharpe")[0];
	const bestFile = saveJson("best", backtest(["--data", `GOOG=${data("GOOG.csv")}`,
		"--fast", String(bestSharpe.params.fast), "--slow", String(bestSharpe.params.slow)]));
	await check("sweep of 200: ranked by sharpe (descending), heat map, the best run's charts",
		page("grid", ["--grid", runsFile, "--best", bestFile, "--title", "sma_cross.py sweep"]), {
			charts: true, minCharts: 3, extra: async (pg) => [
				...(await rankingChecks(pg, runs, "sharpe", 100)),
				...(await heatChecks(pg, runs, "sharpe", "fast", "slow")),
				...expectEq("note", (await texts(pg, "#ranking .note")).join(""), "The best 100 of 200 runs are listed."),
			],
		});
	await check("sweep ranked by max_drawdown_pct (ascending), its heat map",
		page("grid-dd", ["--grid", runsFile, "--rank", "max_drawdown_pct", "--max-rows", "200"]), {
			charts: false, extra: async (pg) => [
				...(await rankingChecks(pg, runs, "max_drawdown_pct", 200)),
				...(await heatChecks(pg, runs, "max_drawdown_pct", "fast", "slow")),
			],
		});
	await check("sweep ranked by return_pct (descending), axes swapped",
		page("grid-ret", ["--grid", runsFile, "--rank", "return_pct", "--x", "slow", "--y", "fast"]), {
			charts: false, extra: async (pg) => [
				...(await rankingChecks(pg, runs, "return_pct", 100)),
				...(await heatChecks(pg, runs, "return_pct", "slow", "fast")),
			],
		});

	/* 40 values of one parameter: it goes down the side */
	const wide = JSON.parse(gen(["--sweep", "2:41:1,50:90:10", "--data", `GOOG=${data("GOOG.csv")}`]));
	await check("wide sweep (40 x 5): the long axis down the side",
		page("grid-wide", ["--grid", saveJson("wide", wide), "--rank", "return_pct"]), {
			charts: false, extra: async (pg) => [
				...(await rankingChecks(pg, wide, "return_pct", 100)),
				...(await heatChecks(pg, wide, "return_pct", "slow", "fast")),
			],
		});

	/* a sweep whose parameter names, values and failures are hostile */
	const hr = runs.slice(0, 40).map((r, i) => ({
		params: { [PARAM]: r.params.fast, [HOSTILE[0]]: i % 4 === 0 ? HOSTILE[1] : r.params.slow,
			[HOSTILE[5]]: HOSTILE[i % HOSTILE.length] },
		metrics: r.metrics, status: i === 3 ? HOSTILE[2] : r.status, error: i === 3 ? HOSTILE_ALL : r.error,
	}));
	await check("sweep with hostile parameter names, values and statuses",
		page("grid-hostile", ["--grid", saveJson("grid-hostile", hr), "--title", HOSTILE[0]]), {
			charts: false, extra: async (pg) => {
				const p = [];
				const head = await texts(pg, "#ranking thead th.param");
				p.push(...expectEq("parameter columns", head.join("|"), [PARAM, HOSTILE[0], shown(HOSTILE[5])].join("|")));
				const axes = await texts(pg, "#heatmap h2 .param");
				p.push(...expectEq("heat map axes", axes.join("|"), [PARAM, HOSTILE[0]].join("|")));
				const status = await texts(pg, "#ranking tbody td.neg");
				p.push(...expectEq("failed run's status", status.join(""), shown(HOSTILE[2])));
				const cells = await texts(pg, "#ranking tbody td.param");
				for (const s of HOSTILE)
					if (!cells.includes(shown(s)))
						p.push(`value ${JSON.stringify(s)} not shown as it is`);
				return p;
			},
		});
}

main().then((rc) => process.exit(rc), (e) => {
	console.log(String(e.stack || e));
	console.log(`report: ${passed} passed, ${failed + 1} failed, ${skipped} skipped`);
	process.exit(1);
});
