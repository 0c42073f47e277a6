/* The status page's script: the tenant's jobs, polled from the API, a form
 * that submits a backtest, cancel, a job's JSON and its report.
 *
 * Rules this file keeps (the page's security rests on them with its
 * Content-Security-Policy, src/server/page.c):
 *  - Text that a job or a strategy controls (ids, statuses, errors,
 *    output, metrics, messages of the API) goes into the page through
 *    textContent, or an attribute set with setAttribute, never as markup:
 *    there is no innerHTML, outerHTML, insertAdjacentHTML or
 *    document.write here.
 *  - The one HTML a strategy has a hand in, its report, goes into an
 *    <iframe sandbox="allow-scripts" srcdoc>: an opaque origin, which can
 *    run the report's charts but cannot read this page, its storage (the
 *    token) or its cookies.  The frame never gets allow-same-origin.
 *  - The token lives in sessionStorage (this tab only, gone when it
 *    closes) and goes out only as the Authorization header of requests to
 *    this origin. */
"use strict";

(function () {
	const TOKEN_KEY = "stratbox.token";
	const POLL_ACTIVE_MS = 1000, POLL_IDLE_MS = 4000;
	const EXAMPLE = [
		"from stratbox import BaseStrategy",
		"",
		"",
		"class SmaCross(BaseStrategy):",
		"    # long while the fast average of the close is above the slow one",
		"    params = {\"fast\": 10, \"slow\": 30}",
		"",
		"    def initialize(self):",
		"        self.fast = int(self.config[\"fast\"])",
		"        self.slow = int(self.config[\"slow\"])",
		"        self.warmup = self.slow",
		"",
		"    def generate_signals(self, current_data):",
		"        c = current_data.close",
		"        fast, slow = c[-self.fast:].mean(), c[-self.slow:].mean()",
		"        if fast > slow and self.position <= 0:",
		"            return [self.buy()]",
		"        if fast < slow and self.position > 0:",
		"            return [self.close()]",
		"        return []",
		"",
	].join("\n");

	const $ = (id) => document.getElementById(id);
	const el = (tag, cls, text) => {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	};

	/* ---- the token ------------------------------------------------------ */

	function token() {
		try {
			return sessionStorage.getItem(TOKEN_KEY) || "";
		} catch (e) {
			return "";
		}
	}

	function setToken(t) {
		try {
			if (t)
				sessionStorage.setItem(TOKEN_KEY, t);
			else
				sessionStorage.removeItem(TOKEN_KEY);
		} catch (e) {
			/* storage refused (a private window's quota): the token is lost on reload */
		}
		showTokenState();
	}

	function showTokenState() {
		$("token-state").textContent = token() ? "token set for this tab" : "no token";
	}

	/* ---- the API -------------------------------------------------------- */

	class ApiError extends Error {
		constructor(status, code, message) {
			super(message);
			this.status = status;
			this.code = code;
		}
	}

	let needToken = false;

	/* A request to the API: the parsed JSON (or the text, asText), or an
	 * ApiError with the server's message.  A 401 stops the polling and asks
	 * for the token again. */
	async function api(method, path, { body, asText, headers } = {}) {
		const h = Object.assign({}, headers || {});
		const t = token();
		if (t)
			h["Authorization"] = "Bearer " + t;
		const init = { method, headers: h, cache: "no-store", credentials: "omit", redirect: "error" };
		if (body !== undefined) {
			h["Content-Type"] = "application/json";
			init.body = JSON.stringify(body);
		}
		let r;
		try {
			r = await fetch(path, init);
		} catch (e) {
			throw new ApiError(0, "network", "the service does not answer (" + e.message + ")");
		}
		if (r.status === 401) {
			askToken(t ? "The token was refused: enter a valid one." :
				"This service needs a token: enter it above.");
			throw new ApiError(401, "unauthorized", "a valid token is needed");
		}
		if (!r.ok) {
			let code = "http_" + r.status, msg = r.status + " " + r.statusText;
			try {
				const e = (await r.json()).error;
				code = e.code;
				msg = e.message;
			} catch (e) {
				/* not our JSON error: keep the status line */
			}
			throw new ApiError(r.status, code, msg);
		}
		return asText ? r.text() : r.json();
	}

	/* ---- notices -------------------------------------------------------- */

	function notice(text, kind) {
		const n = $("notice");
		n.textContent = text || "";
		n.className = "notice " + (kind || "info");
		n.hidden = !text;
	}

	function askToken(why) {
		needToken = true;
		setToken("");
		clearJobs();
		notice(why, "warn");
		$("token").focus();
	}

	/* ---- formatting ----------------------------------------------------- */

	const pad = (n, w = 2) => String(n).padStart(w, "0");

	/* A time of the API as the browser's local clock: the time of day, with
	 * the date when it is not today. */
	function fmtTime(iso) {
		if (!iso)
			return "\u2014";
		const d = new Date(iso);
		if (isNaN(d))
			return String(iso);
		const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
		const now = new Date();
		if (d.toDateString() === now.toDateString())
			return t;
		return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}`;
	}

	function fmtDuration(ms) {
		if (ms === null || ms === undefined || !isFinite(ms) || ms < 0)
			return "\u2014";
		if (ms < 1000)
			return Math.round(ms) + " ms";
		if (ms < 60000)
			return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
		const s = Math.round(ms / 1000);
		if (s < 3600)
			return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
		return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
	}

	const ms = (iso) => (iso ? Date.parse(iso) : NaN);

	/* A number with grouped thousands and fixed decimals; a proper minus. */
	function fmtNum(v, decimals, { sign = false, unit = "" } = {}) {
		if (typeof v !== "number" || !isFinite(v))
			return "\u2014";
		const s = Math.abs(v).toLocaleString("en-US",
			{ minimumFractionDigits: decimals, maximumFractionDigits: decimals });
		const zero = /^[0.,]*$/.test(s);
		const pre = v < 0 && !zero ? "\u2212" : sign && v > 0 && !zero ? "+" : "";
		return pre + s + unit;
	}

	const METRICS = [
		{ key: "return_pct", fmt: (v) => fmtNum(v, 2, { sign: true, unit: "\u00a0%" }), tone: true },
		{ key: "sharpe", fmt: (v) => fmtNum(v, 2), tone: true },
		{ key: "max_drawdown_pct", fmt: (v) => fmtNum(v, 2, { unit: "\u00a0%" }) },
		{ key: "trades", fmt: (v) => fmtNum(v, 0) },
	];

	/* ---- the jobs table ------------------------------------------------- */

	const rows = new Map();	   /* id -> {tr, cells} */
	const results = new Map(); /* id -> the whole job, once it has ended */
	const ENDED = new Set(["done", "failed", "cancelled"]);

	function clearJobs() {
		rows.clear();
		results.clear();
		$("jobs-table").tBodies[0].replaceChildren();
		$("jobs-count").textContent = "";
		$("jobs-empty").hidden = false;
		closeDetail();
	}

	function makeRow(id) {
		const tr = el("tr");
		tr.setAttribute("data-id", id);
		const c = {};
		for (const name of ["id", "status", "created", "started", "finished", "wait", "run",
			"verdict", "m0", "m1", "m2", "m3", "actions"]) {
			c[name] = el("td", "c-" + name);
			tr.appendChild(c[name]);
		}
		for (const k of ["wait", "run", "m0", "m1", "m2", "m3"])
			c[k].classList.add("num");
		c.idText = el("span", "job-id", id);
		c.kind = el("span", "kind");
		c.id.append(c.idText, c.kind);
		c.badge = el("span", "badge");
		c.status.appendChild(c.badge);
		const mk = (label, action) => {
			const b = el("button", "small", label);
			b.type = "button";
			b.setAttribute("data-action", action);
			b.addEventListener("click", () => onAction(action, id));
			return b;
		};
		c.reportBtn = mk("Report", "report");
		c.jsonBtn = mk("JSON", "json");
		c.cancelBtn = mk("Cancel", "cancel");
		c.cancelBtn.classList.add("danger");
		c.actions.append(c.reportBtn, c.jsonBtn, c.cancelBtn);
		return { tr, c };
	}

	function setText(node, text) {
		const t = String(text);
		if (node.textContent !== t)
			node.textContent = t;
	}

	/* The verdict and metrics of an ended job, from its whole JSON. */
	function fillResult(c, job) {
		const r = job.result;
		for (let i = 0; i < 4; i++) {
			c["m" + i].colSpan = 1;
			c["m" + i].hidden = false;
			c["m" + i].removeAttribute("data-value");
			c["m" + i].removeAttribute("data-metric");
			c["m" + i].className = "c-m" + i + " num";
		}
		c.verdict.replaceChildren();
		c.verdict.removeAttribute("title");
		if (!r || typeof r !== "object") {
			c.verdict.textContent = job.status === "cancelled" ? "cancelled" : "\u2014";
			for (let i = 0; i < 4; i++)
				setText(c["m" + i], "");
			return;
		}
		const vs = (r.verdict && r.verdict.status) || r.status || (job.status === "failed" ? "FAILED" : "");
		const v = el("span", "verdict " + (r.success ? "ok" : "bad"), vs || "\u2014");
		v.setAttribute("data-verdict", vs);
		c.verdict.appendChild(v);
		const err = typeof r.error === "string" ? r.error :
			r.error !== null && r.error !== undefined ? JSON.stringify(r.error) : "";
		if (err) {
			const line = err.split("\n").filter((l) => l.trim()).pop() || err;
			c.verdict.appendChild(el("span", "error", line.length > 160 ? line.slice(0, 157) + "\u2026" : line));
			c.verdict.setAttribute("title", err.length > 4000 ? err.slice(0, 4000) + "\u2026" : err);
		}
		if (job.kind === "execution") {
			/* an execution has no metrics of ours: its exit code */
			const code = r.verdict ? r.verdict.exit_code : undefined;
			c.m0.colSpan = 4;
			c.m0.className = "c-m0 exit";
			setText(c.m0, code === null || code === undefined ? "no exit code" :
				"exit code " + code + (r.verdict.signal ? ", signal " + r.verdict.signal : ""));
			c.m0.setAttribute("data-exit", String(code));
			for (let i = 1; i < 4; i++)
				c["m" + i].hidden = true;
			return;
		}
		const m = r.metrics || {};
		METRICS.forEach((d, i) => {
			const cell = c["m" + i], val = m[d.key];
			setText(cell, d.fmt(val));
			cell.setAttribute("data-metric", d.key);
			if (typeof val === "number")
				cell.setAttribute("data-value", String(val));
			if (d.tone && typeof val === "number" && val !== 0)
				cell.classList.add(val > 0 ? "pos" : "neg");
		});
	}

	function updateRow(job) {
		let row = rows.get(job.id);
		if (!row) {
			row = makeRow(job.id);
			rows.set(job.id, row);
		}
		const { tr, c } = row;
		tr.setAttribute("data-status", job.status);
		setText(c.kind, job.kind);
		setText(c.badge, job.status);
		c.badge.className = "badge s-" + job.status;
		setText(c.created, fmtTime(job.created));
		setText(c.started, fmtTime(job.started));
		setText(c.finished, fmtTime(job.finished));
		c.created.setAttribute("title", job.created || "");
		c.started.setAttribute("title", job.started || "");
		c.finished.setAttribute("title", job.finished || "");
		const now = Date.now();
		const created = ms(job.created), started = ms(job.started), finished = ms(job.finished);
		const waitEnd = isFinite(started) ? started : job.status === "queued" ? now : finished;
		setText(c.wait, fmtDuration(waitEnd - created));
		setText(c.run, fmtDuration(isFinite(started) ? (isFinite(finished) ? finished : now) - started : NaN));
		const whole = results.get(job.id);
		if (whole && whole.status === job.status)
			fillResult(c, whole);
		else if (!ENDED.has(job.status) || !whole)
			fillResult(c, { kind: job.kind, status: job.status, result: null });
		if (!ENDED.has(job.status)) {
			c.verdict.textContent = job.status === "running" ? "running\u2026" : "waiting for a worker";
			c.verdict.className = "c-verdict pending";
		} else {
			c.verdict.className = "c-verdict";
		}
		const done = whole && job.status === "done" && job.kind === "backtest";
		c.reportBtn.hidden = !done;
		c.cancelBtn.hidden = ENDED.has(job.status);
		return tr;
	}

	function render(jobs) {
		const body = $("jobs-table").tBodies[0];
		const keep = new Set(jobs.map((j) => j.id));
		for (const [id, row] of rows)
			if (!keep.has(id)) {
				row.tr.remove();
				rows.delete(id);
			}
		for (const id of results.keys())
			if (!keep.has(id))
				results.delete(id);
		jobs.forEach((job, i) => {
			const tr = updateRow(job);
			if (body.children[i] !== tr)
				body.insertBefore(tr, body.children[i] || null);
		});
		$("jobs-empty").hidden = jobs.length > 0;
		const active = jobs.filter((j) => !ENDED.has(j.status)).length;
		$("jobs-count").textContent = jobs.length ?
			`${jobs.length} shown${active ? `, ${active} queued or running` : ""}` : "";
	}

	/* ---- polling -------------------------------------------------------- */

	let pollTimer = null, polling = false;

	async function refresh() {
		if (polling)
			return;
		polling = true;
		let active = false;
		try {
			const list = await api("GET", "/v1/jobs?limit=50");
			/* an ended job's result never changes: fetched once */
			const need = list.jobs.filter((j) => ENDED.has(j.status) &&
				(!results.has(j.id) || results.get(j.id).status !== j.status));
			await Promise.all(need.map(async (j) => {
				try {
					results.set(j.id, await api("GET", "/v1/jobs/" + encodeURIComponent(j.id)));
				} catch (e) {
					if (e.status === 401)
						throw e;
					/* gone since the list (retention): the next poll drops it */
				}
			}));
			if (needToken)
				return;
			render(list.jobs);
			if (!token())
				$("token-state").textContent = "no token needed (one tenant)";
			active = list.jobs.some((j) => !ENDED.has(j.status));
			if ($("notice").classList.contains("poll"))
				notice("");
		} catch (e) {
			if (e.status !== 401)
				notice("Cannot list the jobs: " + e.message, "error poll");
		} finally {
			polling = false;
			schedule(active ? POLL_ACTIVE_MS : POLL_IDLE_MS);
		}
		health();
	}

	function schedule(delay) {
		clearTimeout(pollTimer);
		pollTimer = null;
		if (!needToken)
			pollTimer = setTimeout(refresh, delay);
	}

	async function health() {
		try {
			const r = await fetch("/healthz", { cache: "no-store", credentials: "omit" });
			const h = await r.json();
			$("health").textContent = `${h.status} \u00b7 ${h.workers} workers \u00b7 ` +
				`${h.queued} queued \u00b7 ${h.running} running`;
			$("health").className = "health " + (h.status === "ok" ? "up" : "down");
		} catch (e) {
			$("health").textContent = "no answer";
			$("health").className = "health down";
		}
	}

	/* ---- datasets and the form ------------------------------------------ */

	let datasets = [];

	async function loadDatasets() {
		let d;
		try {
			d = await api("GET", "/v1/datasets");
		} catch (e) {
			if (e.status !== 401)
				$("dataset-about").textContent = "Cannot list the datasets: " + e.message;
			return;
		}
		datasets = d.datasets || [];
		const sel = $("dataset");
		sel.replaceChildren();
		for (const ds of datasets) {
			const o = el("option", null, `${ds.name} \u2014 ${ds.frequency}, ${ds.bars} bars`);
			o.value = ds.name;
			sel.appendChild(o);
		}
		const free = datasets.length === 0;
		sel.hidden = free;
		$("dataset-name").hidden = !free;
		if (free && d.data_dir)
			$("dataset-about").textContent = "The service reads NAME.csv from its --data-dir.";
		showDataset();
	}

	function showDataset() {
		const ds = datasets.find((x) => x.name === $("dataset").value);
		$("dataset-about").textContent = ds ? `${ds.description} (${ds.start} to ${ds.end})` :
			$("dataset-about").textContent;
		for (const id of ["start", "end"]) {
			const inp = $(id);
			if (ds) {
				inp.min = String(ds.start).slice(0, 10);
				inp.max = String(ds.end).slice(0, 10);
			} else {
				inp.removeAttribute("min");
				inp.removeAttribute("max");
			}
		}
	}

	function randomKey() {
		const b = new Uint8Array(16);
		crypto.getRandomValues(b);
		return "page-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
	}

	let pendingKey = null; /* the same key until the form changes: a double submit is one job */

	async function submit(ev) {
		ev.preventDefault();
		const status = $("submit-status");
		status.className = "submit-status";
		const body = { code: $("code").value };
		const sym = (datasets.length ? $("dataset").value : $("dataset-name").value).trim();
		if (!sym) {
			status.textContent = "Choose a dataset.";
			status.classList.add("bad");
			return;
		}
		body.symbols = [sym];
		if ($("start").value)
			body.start = $("start").value;
		if ($("end").value)
			body.end = $("end").value;
		const p = $("params").value.trim();
		if (p) {
			let v;
			try {
				v = JSON.parse(p);
			} catch (e) {
				status.textContent = "Parameters: not JSON (" + e.message + ").";
				status.classList.add("bad");
				return;
			}
			if (v === null || typeof v !== "object" || Array.isArray(v)) {
				status.textContent = "Parameters: a JSON object, e.g. {\"fast\": 10}.";
				status.classList.add("bad");
				return;
			}
			body.params = v;
		}
		const name = $("code-name").value.trim();
		if (name)
			body.code_name = name;
		pendingKey = pendingKey || randomKey();
		$("submit-button").disabled = true;
		status.textContent = "Submitting\u2026";
		try {
			const job = await api("POST", "/v1/backtests", { body, headers: { "Idempotency-Key": pendingKey } });
			pendingKey = null;
			status.textContent = `Submitted: job ${job.id}.`;
			status.classList.add("good");
			refresh();
		} catch (e) {
			if (e.status !== 422 && e.status !== 400)
				pendingKey = null;
			status.textContent = e.status === 401 ? "Not submitted: a valid token is needed." :
				`Not submitted: ${e.message}`;
			status.classList.add("bad");
		} finally {
			$("submit-button").disabled = false;
		}
	}

	/* ---- a job's report, JSON, cancel ------------------------------------ */

	let detailSeq = 0;

	function closeDetail() {
		detailSeq++;
		$("detail").hidden = true;
		const f = $("report-frame");
		f.hidden = true;
		f.removeAttribute("srcdoc");
		$("json-view").hidden = true;
		$("json-view").textContent = "";
	}

	function openDetail(title) {
		closeDetail();
		$("detail").hidden = false;
		$("detail-title").textContent = title;
		$("detail-status").textContent = "Loading\u2026";
		$("detail").scrollIntoView({ block: "start" });
		return ++detailSeq;
	}

	async function onAction(action, id) {
		const path = "/v1/jobs/" + encodeURIComponent(id);
		if (action === "cancel") {
			try {
				await api("DELETE", path);
				notice("");
			} catch (e) {
				if (e.status !== 401)
					notice(`Cannot cancel job ${id}: ${e.message}`, "error");
			}
			refresh();
			return;
		}
		if (action === "json") {
			const seq = openDetail(`Job ${id} \u2014 JSON`);
			try {
				const job = await api("GET", path);
				if (seq !== detailSeq)
					return;
				$("json-view").textContent = JSON.stringify(job, null, 2);
				$("json-view").hidden = false;
				$("detail-status").textContent = "";
			} catch (e) {
				if (seq === detailSeq)
					$("detail-status").textContent = "Cannot load the job: " + e.message;
			}
			return;
		}
		if (action === "report") {
			const seq = openDetail(`Job ${id} \u2014 report`);
			try {
				const html = await api("GET", path + "/report", { asText: true });
				if (seq !== detailSeq)
					return;
				/* the frame's sandbox attribute is in the markup, before
				 * any content: allow-scripts alone, never allow-same-origin */
				const f = $("report-frame");
				f.srcdoc = html;
				f.hidden = false;
				$("detail-status").textContent = "The report runs in a sandboxed frame: it cannot reach this page or the token.";
			} catch (e) {
				if (seq === detailSeq)
					$("detail-status").textContent = "Cannot load the report: " + e.message;
			}
		}
	}

	/* ---- start ---------------------------------------------------------- */

	function start() {
		$("code").value = EXAMPLE;
		showTokenState();
		$("token-form").addEventListener("submit", (ev) => {
			ev.preventDefault();
			const t = $("token").value.trim();
			$("token").value = "";
			setToken(t);
			needToken = false;
			notice("");
			clearJobs();
			loadDatasets();
			refresh();
		});
		$("forget").addEventListener("click", () => {
			setToken("");
			clearJobs();
			notice("The token is forgotten.", "info");
			refresh();
		});
		$("bt-form").addEventListener("submit", submit);
		$("bt-form").addEventListener("input", () => {
			pendingKey = null;
		});
		$("dataset").addEventListener("change", showDataset);
		$("detail-close").addEventListener("click", closeDetail);
		loadDatasets();
		refresh();
	}

	document.addEventListener("DOMContentLoaded", start);
})();
