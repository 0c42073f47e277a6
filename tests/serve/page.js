#!/usr/bin/env node
/* The status page (GET /, src/server/page.c and src/server/page/), end to
 * end: a real stratbox-serve (a temporary state directory, a token file
 * with two tenants) driven in headless Chromium (tests/report/cdp.js):
 *
 *   - the page and its files are served with their policy and headers,
 *     without a token, and the script puts no markup in the page;
 *   - no token, then a wrong one: the page asks for it; the right one: the
 *     datasets and the jobs appear;
 *   - a backtest submitted through the form waits behind two slow jobs
 *     (queued), runs when one of them is cancelled from the page, and ends
 *     (done): the table showed queued, running, done in turn, and shows the
 *     metrics, verdict and times the API gives;
 *   - its report opens in the sandboxed frame, an opaque origin that cannot
 *     read the page's storage, whose charts draw;
 *   - strategies that print markup and raise an error with markup: shown as
 *     text in the table, the JSON and the report, nothing run;
 *   - another tenant's token shows none of these jobs;
 *   - a server without a token file: the page works without one;
 *   - no exception, console error or CSP report on any page or frame
 *     (the 401s of the token prompts aside).
 *
 *   node tests/serve/page.js BUILD-DIR [--shots DIR] [--keep DIR]
 *
 * BUILD-DIR holds stratbox-serve (and what it runs).  --shots writes
 * screenshots there; --keep keeps the state directories.  Prints a line
 * per check and "page: N passed, N failed, N skipped". */
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");
const { Browser, findChromium } = require("../report/cdp");

const args = process.argv.slice(2);
const opt = (name) => {
	const i = args.indexOf(name);
	return i >= 0 ? args.splice(i, 2)[1] : null;
};
const shots = opt("--shots"), keep = opt("--keep");
const [buildDir] = args;
if (!buildDir) {
	process.stderr.write("usage: page.js BUILD-DIR [--shots DIR] [--keep DIR]\n");
	process.exit(2);
}
const serveBin = path.resolve(buildDir, "stratbox-serve");
const root = path.resolve(__dirname, "../..");
const work = keep || fs.mkdtempSync(path.join(os.tmpdir(), "stratbox-page-"));
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
const expectEq = (what, got, want) =>
	got === want ? [] : [`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Run one check: its body returns (or pushes to) a list of problems; an
 * exception is one more. */
async function check(name, body) {
	const p = [];
	try {
		const more = await body(p);
		if (Array.isArray(more))
			p.push(...more);
	} catch (e) {
		p.push(String(e.stack || e));
	}
	result(name, p);
	return p.length === 0;
}

/* ---- the strategies ----------------------------------------------------- */

/* The SMA cross; `pause` seconds in initialize() so that the page's poll
 * sees it running. */
const sma = (pause) => `import time
from stratbox import BaseStrategy


class SmaCross(BaseStrategy):
    params = {"fast": 10, "slow": 30}

    def initialize(self):
        time.sleep(${pause})
        self.fast = int(self.config["fast"])
        self.slow = int(self.config["slow"])
        self.warmup = self.slow

    def generate_signals(self, current_data):
        c = current_data.close
        fast_now, slow_now = c[-self.fast:].mean(), c[-self.slow:].mean()
        fast_prev, slow_prev = c[-self.fast - 1:-1].mean(), c[-self.slow - 1:-1].mean()
        if fast_prev <= slow_prev and fast_now > slow_now and self.position <= 0:
            return [self.close(), self.buy()]
        if fast_prev >= slow_prev and fast_now < slow_now and self.position > 0:
            return [self.close()]
        return []
`;

/* Holds a worker until cancelled. */
const SLOW = `import time


class Slow(BaseStrategy):
    def initialize(self):
        time.sleep(50)

    def generate_signals(self, current_data):
        return []
`;

/* What a strategy can make the page show, aimed at the page, the frame and
 * the token: each would change the title, set a global or post the token
 * out if it ever ran. */
const HOSTILE = [
	"<img src=x onerror=\"window.__pwned=1;document.title='pwned'\">",
	"</script><script>window.__pwned=2;document.title='pwned'</script>",
	"<script>parent.postMessage(sessionStorage.getItem('stratbox.token'), '*')</script>",
	"\"><svg onload=window.__pwned=3>",
	"<iframe srcdoc=\"<script>parent.__pwned=4</script>\"></iframe>",
];
const pyStr = (s) => JSON.stringify(s); /* a JSON string is a Python literal here */
const HOSTILE_PRINT = `from stratbox import BaseStrategy


class Loud(BaseStrategy):
    def initialize(self):
${HOSTILE.map((h) => `        print(${pyStr(h)})`).join("\n")}

    def generate_signals(self, current_data):
        if len(current_data.close) == 40:
            return [self.buy()]
        return []
`;
const ERROR_HTML = "<img src=x onerror=\"window.__pwned=5\"><b>bold</b></td></tr><script>window.__pwned=6</script>";
const HOSTILE_RAISE = `from stratbox import BaseStrategy


class Raises(BaseStrategy):
    def initialize(self):
        raise ValueError(${pyStr(ERROR_HTML)})

    def generate_signals(self, current_data):
        return []
`;
const HOSTILE_NAME = "<img src=x onerror=window.__pwned=7>.py";

/* ---- the server ---------------------------------------------------------- */

const TOKENS = { alice: "alice-token-0123456789abcdef", bob: "bob-token-0123456789abcdef00" };

/* stratbox-serve on a free port of loopback; resolves when it listens. */
function startServer(name, withTokens) {
	const dir = path.join(work, name);
	fs.mkdirSync(dir, { recursive: true });
	const argv = ["serve", "--listen", "127.0.0.1:0", "--state-dir", path.join(dir, "state"),
		"--workers", "2"];
	if (withTokens) {
		const tf = path.join(dir, "tokens");
		fs.writeFileSync(tf, Object.entries(TOKENS).map(([n, t]) => `${n} ${t}\n`).join(""), { mode: 0o600 });
		argv.push("--token-file", tf);
	}
	const env = Object.assign({}, process.env);
	env.STRATBOX_DATA_DIR = env.STRATBOX_DATA_DIR || path.join(root, "data");
	const proc = spawn(serveBin, argv, { stdio: ["ignore", "ignore", "pipe"], env });
	let log = "";
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`${name}: not listening in 30 s:\n${log}`)), 30000);
		proc.stderr.on("data", (d) => {
			log += d.toString();
			const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
			if (m && timer) {
				clearTimeout(timer);
				resolve({
					proc, port: Number(m[1]), url: `http://127.0.0.1:${m[1]}`,
					log: () => log,
					stop: () => stopServer(proc),
				});
			}
		});
		proc.on("exit", (code, sig) => {
			clearTimeout(timer);
			reject(new Error(`${name}: exited (${code ?? sig}) before listening:\n${log}`));
		});
	});
}

/* SIGTERM (it drains), then SIGKILL after 20 s; by its own pid only. */
function stopServer(proc) {
	if (proc.exitCode !== null || proc.signalCode !== null)
		return Promise.resolve();
	return new Promise((resolve) => {
		const t = setTimeout(() => {
			try {
				process.kill(proc.pid, "SIGKILL");
			} catch (e) {
				/* gone */
			}
		}, 20000);
		proc.once("exit", () => {
			clearTimeout(t);
			resolve();
		});
		try {
			process.kill(proc.pid, "SIGTERM");
		} catch (e) {
			clearTimeout(t);
			resolve();
		}
	});
}

/* One request: {status, headers, text, json}. */
function request(srv, method, p, { token, body } = {}) {
	return new Promise((resolve, reject) => {
		const headers = {};
		if (token)
			headers.Authorization = "Bearer " + token;
		let data = null;
		if (body !== undefined) {
			data = Buffer.from(JSON.stringify(body));
			headers["Content-Type"] = "application/json";
			headers["Content-Length"] = data.length;
		}
		const rq = http.request({ host: "127.0.0.1", port: srv.port, method, path: p, headers }, (rs) => {
			const chunks = [];
			rs.on("data", (c) => chunks.push(c));
			rs.on("end", () => {
				const text = Buffer.concat(chunks).toString("utf8");
				let json = null;
				try {
					json = JSON.parse(text);
				} catch (e) {
					/* not JSON */
				}
				resolve({ status: rs.statusCode, headers: rs.headers, text, json });
			});
		});
		rq.on("error", reject);
		rq.setTimeout(90000, () => rq.destroy(new Error(`${method} ${p}: no answer`)));
		if (data)
			rq.write(data);
		rq.end();
	});
}

async function waitApi(srv, token, id, pred, what, ms = 60000) {
	const deadline = Date.now() + ms;
	let last = null;
	while (Date.now() < deadline) {
		last = (await request(srv, "GET", "/v1/jobs/" + id, { token })).json;
		if (last && pred(last))
			return last;
		await sleep(100);
	}
	throw new Error(`job ${id}: not ${what} in ${ms} ms (${last && last.status})`);
}

/* ---- driving the page ------------------------------------------------------- */

const q = JSON.stringify;
const VIEW = { width: 1400, height: 1800 }; /* cdp.js's default tab */

async function waitFor(pg, expr, what, ms = 30000) {
	const deadline = Date.now() + ms;
	let v;
	while (Date.now() < deadline) {
		v = await pg.eval(expr);
		if (v)
			return v;
		await sleep(100);
	}
	throw new Error(`${what}: not in ${ms} ms (${expr.slice(0, 100)} = ${q(v)})`);
}

/* Type text into a field as a person would (replacing what is there). */
async function type(pg, sel, text) {
	await pg.eval(`(() => { const e = document.querySelector(${q(sel)}); e.focus(); e.select(); })()`);
	if (text === "")
		await pg.send("Input.dispatchKeyEvent", { type: "keyDown", key: "Delete", code: "Delete", windowsVirtualKeyCode: 46 });
	else
		await pg.send("Input.insertText", { text });
}

/* A click with the mouse, in the middle of the element. */
async function click(pg, sel) {
	const r = await pg.eval(`(() => {
		const e = document.querySelector(${q(sel)});
		if (!e || e.hidden || e.offsetParent === null)
			return null;
		e.scrollIntoView({ block: "center" });
		const b = e.getBoundingClientRect();
		return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
	})()`);
	if (!r)
		throw new Error(`click: no visible ${sel}`);
	for (const type of ["mouseMoved", "mousePressed", "mouseReleased"])
		await pg.send("Input.dispatchMouseEvent", { type, x: r.x, y: r.y, button: "left", clickCount: 1 });
}

const rowSel = (id) => `tr[data-id=${q(id)}]`;
const rowStatus = (pg, id) => pg.eval(`(document.querySelector(${q(rowSel(id))}) || {dataset: {}}).dataset.status || null`);

/* Record the statuses the page shows for a job, until stopped. */
function watchStatuses(pg, id) {
	const seen = [];
	let on = true;
	const sample = async () => {
		const s = await rowStatus(pg, id).catch(() => null);
		if (s && seen[seen.length - 1] !== s)
			seen.push(s);
	};
	const done = (async () => {
		while (on) {
			await sample();
			await sleep(50);
		}
	})();
	/* and a last look: what the waiter saw last is in the list */
	return { seen, stop: async () => {
		on = false;
		await done;
		await sample();
	} };
}

/* Submit a backtest through the form; the id the page reports. */
async function submitForm(pg, { code, dataset = "GOOG", start = "", end = "", params = "", name = "" }) {
	await type(pg, "#code", code);
	await pg.eval(`(() => { const s = document.getElementById("dataset"); s.value = ${q(dataset)};
		s.dispatchEvent(new Event("change")); })()`);
	for (const [id, v] of [["start", start], ["end", end]])
		await pg.eval(`(() => { const e = document.getElementById(${q(id)}); e.value = ${q(v)};
			e.dispatchEvent(new Event("input", { bubbles: true })); })()`);
	await type(pg, "#params", params);
	await type(pg, "#code-name", name);
	const before = await pg.eval("document.getElementById('submit-status').textContent");
	await click(pg, "#submit-button");
	const status = await waitFor(pg, `(() => { const t = document.getElementById("submit-status").textContent;
		return t !== ${q(before)} && !/^Submitting/.test(t) && t; })()`, "the form's answer");
	const m = /job (j[a-z2-7]{25})/.exec(status);
	if (!m)
		throw new Error(`submit: ${status}`);
	return m[1];
}

async function enterToken(pg, t) {
	await type(pg, "#token", t);
	await click(pg, "#token-form button[type=submit]");
}

/* The page's problems and its frames', less the 401s the token prompts
 * cause by design (Chromium logs every failed load). */
function problemsOf(pg) {
	const all = [...pg.problems];
	for (const f of pg.allFrames || [])
		all.push(...f.problems.map((p) => "in the report frame: " + p));
	return all.filter((p) => !/status of 401 \(Unauthorized\)/.test(p));
}

/* Frames come and go as reports are opened: remember every one. */
function trackFrames(pg) {
	pg.allFrames = [];
	const iv = setInterval(() => {
		for (const f of pg.frames)
			if (!pg.allFrames.includes(f))
				pg.allFrames.push(f);
	}, 20);
	return () => clearInterval(iv);
}

/* The report frame once its charts are drawn: the out-of-process frame
 * whose document is the srcdoc report. */
const CHART_PIXELS = `(() => {
	const out = [];
	for (const div of document.querySelectorAll("div.chart")) {
		let colored = 0;
		for (const c of div.querySelectorAll("canvas")) {
			if (!c.width || !c.height)
				continue;
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			for (let i = 0; i < d.length; i += 4) {
				const mx = Math.max(d[i], d[i + 1], d[i + 2]), mn = Math.min(d[i], d[i + 1], d[i + 2]);
				if (d[i + 3] > 128 && mx - mn > 80)
					colored++;
			}
		}
		out.push({ id: div.id, colored });
	}
	return out;
})()`;

async function reportFrame(pg, jobId, { charts = true } = {}) {
	const deadline = Date.now() + 30000;
	let last = "no frame in a process of its own (as a sandboxed frame without allow-same-origin gets)";
	while (Date.now() < deadline) {
		for (const f of [...pg.frames].reverse()) {
			try {
				const t = await f.eval("document.title");
				if (!t.includes(jobId))
					continue;
				if (!charts)
					return { frame: f, px: [] };
				if ((await f.eval("document.documentElement.getAttribute('data-report')")) !== "ready") {
					last = "not ready";
					continue;
				}
				await f.eval("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
				const px = await f.eval(CHART_PIXELS);
				if (px.length > 0 && px.every((c) => c.colored >= 200))
					return { frame: f, px };
				last = "charts " + q(px);
			} catch (e) {
				last = e.message;
			}
		}
		await sleep(100);
	}
	throw new Error(`the report frame of ${jobId}: ${last}`);
}

/* What script inside the frame can reach of the page and of its token. */
const FRAME_REACH = `(() => {
	const r = { origin: window.origin, href: location.href };
	try { r.storage = String(sessionStorage.getItem("stratbox.token")); } catch (e) { r.storage = e.name; }
	try { r.parentDoc = String(parent.document.title); } catch (e) { r.parentDoc = e.name; }
	try { r.cookie = document.cookie; } catch (e) { r.cookie = e.name; }
	r.pwned = window.__pwned === undefined ? null : String(window.__pwned);
	r.elements = [...document.querySelectorAll("img, svg, iframe, object, embed")].length;
	r.handlers = [...document.querySelectorAll("*")].filter((e) =>
		[...e.attributes].some((a) => /^on/i.test(a.name))).length;
	return r;
})()`;

/* The page's own state after hostile text went through it. */
const PAGE_SAFETY = `(() => {
	const p = [];
	if (window.__pwned !== undefined)
		p.push("injected code ran in the page: window.__pwned = " + window.__pwned);
	if (document.title !== "stratbox")
		p.push("the title changed: " + document.title);
	for (const e of document.querySelectorAll("img, svg, script:not([src]), object, embed, b"))
		p.push("an element from a strategy's text: <" + e.tagName.toLowerCase() + ">");
	if (document.querySelectorAll("iframe").length !== 1)
		p.push(document.querySelectorAll("iframe").length + " iframes");
	for (const e of document.querySelectorAll("*"))
		for (const a of e.attributes)
			if (/^on/i.test(a.name))
				p.push("a handler attribute " + a.name + " on <" + e.tagName.toLowerCase() + ">");
	if ((window.__messages || []).length)
		p.push("messages posted to the page: " + JSON.stringify(window.__messages));
	return p;
})()`;

/* A person reads the table without scrolling sideways (at 1400 px). */
async function tableFits(pg) {
	const w = await pg.eval(`(() => { const w = document.querySelector("#jobs .table-wrap");
		return { scroll: w.scrollWidth, client: w.clientWidth }; })()`);
	return w.scroll > w.client ? [`the jobs table is wider than the page: ${w.scroll} > ${w.client} px`] : [];
}

async function shot(pg, name) {
	if (!shots)
		return;
	/* a frame's process paints on its own: let every one of them finish a
	 * frame or two before the picture */
	const frames = "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))";
	/* The whole page in the viewport: a capture beyond the viewport
	 * resizes the view for the picture, and Chromium then often leaves an
	 * out-of-process frame (the report) blank in it, which a person never
	 * sees. */
	const m = await pg.send("Page.getLayoutMetrics");
	const size = m.cssContentSize || m.contentSize;
	const width = Math.ceil(size.width), height = Math.max(VIEW.height, Math.ceil(size.height));
	await pg.send("Emulation.setDeviceMetricsOverride", { width: VIEW.width, height, deviceScaleFactor: 1, mobile: false });
	try {
		for (const f of [pg, ...pg.frames])
			await f.eval(frames).catch(() => {});
		await sleep(300);
		const { data } = await pg.send("Page.captureScreenshot",
			{ format: "png", clip: { x: 0, y: 0, width, height, scale: 1 } });
		fs.writeFileSync(path.join(shots, name + ".png"), Buffer.from(data, "base64"));
	} finally {
		await pg.send("Emulation.setDeviceMetricsOverride", { width: VIEW.width, height: VIEW.height,
			deviceScaleFactor: 1, mobile: false });
	}
}

/* ---- the checks ----------------------------------------------------------- */

async function servedChecks(srv) {
	await check("GET / serves the page without a token: CSP, X-Frame-Options, Referrer-Policy", async (p) => {
		const r = await request(srv, "GET", "/");
		p.push(...expectEq("status", r.status, 200));
		p.push(...expectEq("content type", r.headers["content-type"], "text/html; charset=utf-8"));
		p.push(...expectEq("X-Frame-Options", r.headers["x-frame-options"], "DENY"));
		p.push(...expectEq("Referrer-Policy", r.headers["referrer-policy"], "no-referrer"));
		p.push(...expectEq("X-Content-Type-Options", r.headers["x-content-type-options"], "nosniff"));
		const csp = {};
		for (const d of (r.headers["content-security-policy"] || "").split(";").map((s) => s.trim()).filter(Boolean)) {
			const [n, ...v] = d.split(/\s+/);
			csp[n] = v;
		}
		const want = { "default-src": "'none'", "connect-src": "'self'", "img-src": "data:",
			"base-uri": "'none'", "form-action": "'none'", "frame-ancestors": "'none'" };
		for (const [d, v] of Object.entries(want))
			p.push(...expectEq(`CSP ${d}`, (csp[d] || []).join(" "), v));
		for (const d of ["script-src", "style-src"]) {
			const v = csp[d] || [];
			if (v[0] !== "'self'" || !v.slice(1).every((s) => /^'sha256-[A-Za-z0-9+/]{43}='$/.test(s)))
				p.push(`CSP ${d}: 'self' and the report's hashes only, got ${v.join(" ")}`);
		}
		const html = r.text;
		const refs = [...html.matchAll(/\s(src|href)="([^"]*)"/g)].map((m) => m[2]);
		p.push(...expectEq("the page's references", refs.sort().join(" "), "/page.css /page.js data:,"));
		if (/<script(?![^>]*\ssrc=)[^>]*>/i.test(html) || /<style|\sstyle=|\son[a-z]+=/i.test(html))
			p.push("inline script, style or handler in index.html");
		const frames = [...html.matchAll(/<iframe[^>]*>/g)].map((m) => m[0]);
		p.push(...expectEq("iframes", frames.length, 1));
		p.push(...expectEq("the frame's sandbox", (/sandbox="([^"]*)"/.exec(frames[0] || "") || [])[1], "allow-scripts"));
		for (const [f, type] of [["/page.js", "text/javascript; charset=utf-8"], ["/page.css", "text/css; charset=utf-8"]]) {
			const a = await request(srv, "GET", f);
			p.push(...expectEq(`${f} status`, a.status, 200));
			p.push(...expectEq(`${f} type`, a.headers["content-type"], type));
			const file = fs.readFileSync(path.join(root, "src/server/page", f.slice(1)), "utf8");
			p.push(...expectEq(`${f} is the file in the tree`, a.text === file, true));
		}
		const post = await request(srv, "POST", "/", { body: {} });
		p.push(...expectEq("POST /", post.status, 405));
		const api = await request(srv, "GET", "/v1/jobs");
		p.push(...expectEq("the API still needs the token", api.status, 401));
	});

	await check("page.js puts no markup in the page (textContent only, no eval)", () => {
		const js = fs.readFileSync(path.join(root, "src/server/page/page.js"), "utf8")
			.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
		const bad = js.match(/\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval|Function|createContextualFragment|DOMParser|setHTML)\b/g);
		const srcdoc = (js.match(/\.srcdoc\s*=/g) || []).length;
		return [...(bad ? [`uses ${[...new Set(bad)].join(", ")}`] : []),
			...expectEq("assignments to srcdoc (the report frame only)", srcdoc, 1),
			...(/allow-same-origin/.test(js) ? ["page.js names allow-same-origin"] : [])];
	});
}

async function tenantChecks(browser, srv) {
	const A = TOKENS.alice;
	const pg = await browser.open(srv.url + "/");
	const untrack = trackFrames(pg);
	await pg.attachFrames();
	await pg.eval(`window.__messages = []; addEventListener("message", (e) => window.__messages.push(String(e.data)))`);
	let smaId = null, slow = [];
	try {
		await check("no token: the page asks for one", async (p) => {
			const n = await waitFor(pg, `(() => { const n = document.getElementById("notice"); return !n.hidden && n.textContent; })()`, "the notice");
			p.push(...expectEq("notice", n, "This service needs a token: enter it above."));
			p.push(...expectEq("rows", await pg.eval("document.querySelectorAll('#jobs-table tbody tr').length"), 0));
			await shot(pg, "1-token-prompt");
		});

		await check("a wrong token: refused, forgotten, asked for again", async (p) => {
			await enterToken(pg, "wrong-token-0123456789abcdef");
			const n = await waitFor(pg, `(() => { const n = document.getElementById("notice");
				return !n.hidden && /refused/.test(n.textContent) && n.textContent; })()`, "the refusal");
			p.push(...expectEq("notice", n, "The token was refused: enter a valid one."));
			p.push(...expectEq("stored token", await pg.eval("sessionStorage.getItem('stratbox.token')"), null));
		});

		await check("the right token: kept in sessionStorage, datasets and jobs load", async (p) => {
			await enterToken(pg, A);
			await waitFor(pg, "document.getElementById('dataset').options.length > 0", "the datasets");
			p.push(...expectEq("stored token", await pg.eval("sessionStorage.getItem('stratbox.token')"), A));
			p.push(...expectEq("localStorage untouched", await pg.eval("localStorage.length"), 0));
			p.push(...expectEq("notice hidden", await pg.eval("document.getElementById('notice').hidden"), true));
			p.push(...expectEq("the field is emptied", await pg.eval("document.getElementById('token').value"), ""));
			const names = await pg.eval("[...document.getElementById('dataset').options].map((o) => o.value)");
			const api = (await request(srv, "GET", "/v1/datasets", { token: A })).json.datasets.map((d) => d.name);
			p.push(...expectEq("the dataset picker", names.join(","), api.join(",")));
			p.push(...expectEq("the token is in no cookie", await pg.eval("document.cookie"), ""));
		});

		await check("a backtest from the form: queued behind two slow jobs, cancel one from the page, running, done", async (p) => {
			for (let i = 0; i < 2; i++) {
				const r = await request(srv, "POST", "/v1/backtests", { token: A,
					body: { code: SLOW, symbols: ["GOOG"], code_name: `slow-${i}.py` } });
				if (r.status !== 202)
					throw new Error(`slow job: ${r.status} ${r.text}`);
				slow.push(r.json.id);
			}
			for (const id of slow)
				await waitApi(srv, A, id, (j) => j.status === "running", "running");
			smaId = await submitForm(pg, { code: sma(1.5), start: "2005-01-01", end: "2012-12-31",
				params: "{\"fast\": 10, \"slow\": 30}", name: "sma_cross.py" });
			const w = watchStatuses(pg, smaId);
			try {
				await waitFor(pg, `${q(rowSel(slow[0]))} && document.querySelector(${q(rowSel(slow[0]))})?.dataset.status === "running"`, "the slow job shown running");
				await waitFor(pg, `document.querySelector(${q(rowSel(smaId))})?.dataset.status === "queued"`, "the backtest shown queued");
				const queuedText = await pg.eval(`document.querySelector(${q(rowSel(smaId) + " .badge")}).textContent`);
				p.push(...expectEq("the badge", queuedText, "queued"));
				await shot(pg, "2-queued");
				await click(pg, `${rowSel(slow[0])} button[data-action=cancel]`);
				await waitFor(pg, `document.querySelector(${q(rowSel(slow[0]))})?.dataset.status === "cancelled"`, "the slow job shown cancelled");
				p.push(...expectEq("the cancelled job, by the API", (await request(srv, "GET", "/v1/jobs/" + slow[0], { token: A })).json.status, "cancelled"));
				await waitFor(pg, `document.querySelector(${q(rowSel(smaId))})?.dataset.status === "running"`, "the backtest shown running", 30000);
				await shot(pg, "3-running");
				await waitFor(pg, `document.querySelector(${q(rowSel(smaId))})?.dataset.status === "done"`, "the backtest shown done", 60000);
			} finally {
				await w.stop();
			}
			p.push(...expectEq("statuses the page showed", w.seen.join(" -> "), "queued -> running -> done"));
			/* the other slow job too, from the page */
			await click(pg, `${rowSel(slow[1])} button[data-action=cancel]`);
			await waitFor(pg, `document.querySelector(${q(rowSel(slow[1]))})?.dataset.status === "cancelled"`, "the second slow job cancelled");
			p.push(...expectEq("cancel buttons of ended jobs", await pg.eval(
				`[...document.querySelectorAll("tr[data-status=done] button[data-action=cancel], tr[data-status=cancelled] button[data-action=cancel]")].filter((b) => !b.hidden).length`), 0));
		});

		await check("the table shows the metrics, verdict and times the API gives", async (p) => {
			if (!smaId)
				throw new Error("no backtest (the check before failed)");
			const job = (await request(srv, "GET", "/v1/jobs/" + smaId, { token: A })).json;
			const row = await pg.eval(`(() => {
				const tr = document.querySelector(${q(rowSel(smaId))});
				const cell = (c) => tr.querySelector(c);
				const m = {};
				for (const td of tr.querySelectorAll("td[data-metric]"))
					m[td.dataset.metric] = { value: td.dataset.value, text: td.textContent };
				return { m, verdict: cell(".verdict").textContent, status: cell(".badge").textContent,
					kind: cell(".kind").textContent,
					times: ["created", "started", "finished"].map((k) => cell(".c-" + k).title),
					timeText: ["created", "started", "finished"].map((k) => cell(".c-" + k).textContent),
					wait: cell(".c-wait").textContent, run: cell(".c-run").textContent,
					report: !cell("button[data-action=report]").hidden };
			})()`);
			const m = job.result.metrics;
			const f2 = (v) => Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
			const sign = (v) => (v < 0 ? "\u2212" : v > 0 ? "+" : "");
			const want = {
				return_pct: sign(m.return_pct) + f2(m.return_pct) + "\u00a0%",
				sharpe: (m.sharpe < 0 ? "\u2212" : "") + f2(m.sharpe),
				max_drawdown_pct: f2(m.max_drawdown_pct) + "\u00a0%",
				trades: String(m.trades),
			};
			for (const [k, text] of Object.entries(want)) {
				p.push(...expectEq(`${k}: the value`, row.m[k] && row.m[k].value, String(m[k])));
				p.push(...expectEq(`${k}: as shown`, row.m[k] && row.m[k].text, text));
			}
			p.push(...expectEq("verdict", row.verdict, job.result.verdict.status));
			p.push(...expectEq("status", row.status, job.status));
			p.push(...expectEq("kind", row.kind, "backtest"));
			p.push(...expectEq("created, started, finished", row.times.join(" "), [job.created, job.started, job.finished].join(" ")));
			if (!row.timeText.every((t) => /^\d\d:\d\d:\d\d$/.test(t)))
				p.push(`times shown: ${row.timeText.join(", ")}`);
			const wait = Date.parse(job.started) - Date.parse(job.created), run = Date.parse(job.finished) - Date.parse(job.started);
			/* shown as "N ms" under a second, else "N.NN s" */
			const shownMs = (t) => (/^\d+ ms$/.test(t) ? parseInt(t, 10) : /^[\d.]+ s$/.test(t) ? parseFloat(t) * 1000 : NaN);
			if (!(Math.abs(shownMs(row.wait) - wait) <= 10))
				p.push(`queue wait shown ${row.wait}, the API's ${wait} ms`);
			if (!(Math.abs(shownMs(row.run) - run) <= 10))
				p.push(`run time shown ${row.run}, the API's ${run} ms`);
			p.push(...expectEq("a report button", row.report, true));
			p.push(...(await tableFits(pg)));
			await shot(pg, "4-done");
		});

		await check("an execution: its verdict and exit code, no report", async (p) => {
			const r = await request(srv, "POST", "/v1/executions", { token: A,
				body: { code: "print(\"<b>out</b>\")\nraise SystemExit(3)\n" } });
			if (r.status !== 202 && r.status !== 200)
				throw new Error(`execution: ${r.status} ${r.text}`);
			const id = r.json.id;
			const job = await waitApi(srv, A, id, (j) => j.status === "done", "done");
			const row = await waitFor(pg, `(() => {
				const tr = document.querySelector(${q(rowSel(id))});
				if (!tr || tr.dataset.status !== "done" || !tr.querySelector(".verdict"))
					return null;
				return { verdict: tr.querySelector(".verdict").textContent, kind: tr.querySelector(".kind").textContent,
					exit: tr.querySelector("td.exit").textContent, code: tr.querySelector("td.exit").dataset.exit,
					report: !tr.querySelector("button[data-action=report]").hidden,
					cells: [...tr.children].filter((td) => !td.hidden).length };
			})()`, "the execution shown done");
			p.push(...expectEq("verdict", row.verdict, job.result.verdict.status));
			p.push(...expectEq("kind", row.kind, "execution"));
			p.push(...expectEq("exit code", row.code, String(job.result.verdict.exit_code)));
			p.push(...expectEq("as shown", row.exit, `exit code ${job.result.verdict.exit_code}`));
			p.push(...expectEq("a report button", row.report, false));
			p.push(...expectEq("cells (the exit code spans the four metrics)", row.cells, 10));
		});

		await check("its report in the sandboxed frame: charts drawn, an opaque origin that cannot read the token", async (p) => {
			if (!smaId)
				throw new Error("no backtest");
			await click(pg, `${rowSel(smaId)} button[data-action=report]`);
			const { frame, px } = await reportFrame(pg, smaId);
			p.push(...expectEq("charts", px.length >= 3, true));
			const reach = await frame.eval(FRAME_REACH);
			p.push(...expectEq("the frame's origin", reach.origin, "null"));
			p.push(...expectEq("the frame's URL", reach.href, "about:srcdoc"));
			p.push(...expectEq("sessionStorage from the frame", reach.storage, "SecurityError"));
			p.push(...expectEq("the page's document from the frame", reach.parentDoc, "SecurityError"));
			p.push(...expectEq("the frame's title", await frame.eval("document.title"), `sma_cross.py (job ${smaId})`));
			const attrs = await pg.eval(`(() => { const f = document.getElementById("report-frame");
				return { sandbox: f.getAttribute("sandbox"), hidden: f.hidden, h: f.clientHeight }; })()`);
			p.push(...expectEq("the sandbox attribute", attrs.sandbox, "allow-scripts"));
			p.push(...expectEq("the frame shown", !attrs.hidden && attrs.h > 500, true));
			await shot(pg, "5-report");
		});

		let loud = null, raises = null;
		await check("hostile strategies: their output, error and name shown as text, nothing runs", async (p) => {
			loud = await submitForm(pg, { code: HOSTILE_PRINT, name: HOSTILE_NAME });
			raises = await submitForm(pg, { code: HOSTILE_RAISE, name: "raises.py" });
			for (const id of [loud, raises])
				await waitFor(pg, `(() => { const tr = document.querySelector(${q(rowSel(id))});
					return tr && tr.dataset.status === "done" && tr.querySelector(".verdict"); })()`, `job ${id} shown done`, 60000);
			const err = await pg.eval(`document.querySelector(${q(rowSel(raises) + " .error")}).textContent`);
			p.push(...expectEq("the error in the table", err, "ValueError: " + ERROR_HTML));
			p.push(...expectEq("the error's verdict", await pg.eval(`document.querySelector(${q(rowSel(raises) + " .verdict")}).textContent`), "NONZERO_EXIT"));
			/* its JSON, in the page */
			await click(pg, `${rowSel(loud)} button[data-action=json]`);
			const shown = await waitFor(pg, `(() => { const j = document.getElementById("json-view"); return !j.hidden && j.textContent; })()`, "the JSON");
			const job = JSON.parse(shown);
			p.push(...expectEq("the JSON shown is the job's", job.result.output, HOSTILE.join("\n") + "\n"));
			p.push(...(await tableFits(pg)));
			await shot(pg, "6-hostile-json");
			p.push(...(await pg.eval(PAGE_SAFETY)));
			/* its report: the frame shows the output as text, runs none of it */
			await click(pg, `${rowSel(loud)} button[data-action=report]`);
			const { frame } = await reportFrame(pg, loud);
			const reach = await frame.eval(FRAME_REACH);
			p.push(...expectEq("the frame's origin", reach.origin, "null"));
			p.push(...expectEq("sessionStorage from the frame", reach.storage, "SecurityError"));
			p.push(...expectEq("code run in the frame", reach.pwned, null));
			p.push(...expectEq("elements from the output in the frame", reach.elements, 0));
			p.push(...expectEq("handler attributes in the frame", reach.handlers, 0));
			p.push(...expectEq("the output in the report", await frame.eval("document.getElementById('output-text').textContent"), HOSTILE.join("\n") + "\n"));
			p.push(...expectEq("the name in the report", await frame.eval("document.querySelector('h1').textContent"), `${HOSTILE_NAME} (job ${loud})`));
			await sleep(500); /* a postMessage would have arrived */
			p.push(...(await pg.eval(PAGE_SAFETY)));
			await shot(pg, "7-hostile-report");
		});

		await check("no exception, console error or CSP report on the page or in its frames", () => problemsOf(pg));

		/* another tenant, in a tab of its own (sessionStorage is per tab) */
		const pb = await browser.open(srv.url + "/");
		try {
			await check("another tenant's token shows none of these jobs", async (p) => {
				await waitFor(pb, "!document.getElementById('notice').hidden", "the token prompt");
				await enterToken(pb, TOKENS.bob);
				await waitFor(pb, "document.getElementById('dataset').options.length > 0", "bob's datasets");
				await waitFor(pb, "/\\u00b7/.test(document.getElementById('health').textContent)", "a poll");
				await sleep(1500); /* another poll */
				p.push(...expectEq("rows", await pb.eval("document.querySelectorAll('#jobs-table tbody tr').length"), 0));
				p.push(...expectEq("the empty note", await pb.eval("document.getElementById('jobs-empty').hidden"), false));
				const text = await pb.eval("document.body.textContent");
				for (const id of [smaId, loud, raises, ...slow])
					if (id && text.includes(id))
						p.push(`alice's job ${id} is on bob's page`);
				p.push(...expectEq("bob's GET of alice's job", (await request(srv, "GET", "/v1/jobs/" + smaId, { token: TOKENS.bob })).status, 404));
				p.push(...expectEq("alice's tab keeps alice's token", await pg.eval("sessionStorage.getItem('stratbox.token')"), A));
				p.push(...problemsOf(pb));
				await shot(pb, "8-other-tenant");
			});
		} finally {
			await pb.close().catch(() => {});
		}
	} finally {
		untrack();
		await pg.close().catch(() => {});
	}
}

async function noTokenChecks(browser, srv) {
	const pg = await browser.open(srv.url + "/");
	const untrack = trackFrames(pg);
	await pg.attachFrames();
	try {
		await check("without a token file: the page works without a token", async (p) => {
			await waitFor(pg, "document.getElementById('dataset').options.length > 0", "the datasets");
			const id = await submitForm(pg, { code: sma(0), name: "sma_cross.py" });
			await waitFor(pg, `document.querySelector(${q(rowSel(id))})?.dataset.status === "done" &&
				document.querySelector(${q(rowSel(id) + " td[data-metric=sharpe]")})`, "the backtest done", 60000);
			const job = (await request(srv, "GET", "/v1/jobs/" + id)).json;
			const v = await pg.eval(`document.querySelector(${q(rowSel(id) + " td[data-metric=sharpe]")}).dataset.value`);
			p.push(...expectEq("sharpe", v, String(job.result.metrics.sharpe)));
			p.push(...expectEq("notice hidden", await pg.eval("document.getElementById('notice').hidden"), true));
			p.push(...expectEq("no token stored", await pg.eval("sessionStorage.getItem('stratbox.token')"), null));
			p.push(...expectEq("the token's state", await pg.eval("document.getElementById('token-state').textContent"), "no token needed (one tenant)"));
			await click(pg, `${rowSel(id)} button[data-action=report]`);
			await reportFrame(pg, id);
			p.push(...problemsOf(pg).filter(() => true));
			await shot(pg, "9-no-token");
		});
	} finally {
		untrack();
		await pg.close().catch(() => {});
	}
}

async function main() {
	if (!findChromium()) {
		console.log("page: 0 passed, 0 failed, 1 skipped (no chromium)");
		return 0;
	}
	if (!fs.existsSync(serveBin)) {
		console.log(`page: 0 passed, 0 failed, 1 skipped (no ${serveBin})`);
		return 0;
	}
	let browser = null, srv = null, open = null;
	try {
		srv = await startServer("tenants", true);
		await servedChecks(srv);
		browser = await Browser.launch();
		await tenantChecks(browser, srv);
		await srv.stop();
		srv = null;
		open = await startServer("open", false);
		await noTokenChecks(browser, open);
	} catch (e) {
		result("the checks ran to their end", [String(e.stack || e)]);
	} finally {
		if (browser)
			await browser.close();
		for (const s of [srv, open])
			if (s)
				await s.stop();
		if (!keep)
			fs.rmSync(work, { recursive: true, force: true, maxRetries: 5 });
	}
	console.log(`page: ${passed} passed, ${failed} failed, ${skipped} skipped`);
	return failed ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
	console.log(String(e.stack || e));
	console.log(`page: ${passed} passed, ${failed + 1} failed, ${skipped} skipped`);
	process.exit(1);
});
