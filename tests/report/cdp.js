/* A headless Chromium driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: commands on fd 3, replies and events on fd 4,
 * each a JSON text ended by NUL), with nothing but Node's standard library.
 *
 *     const b = await Browser.launch();
 *     const page = await b.open("file:///tmp/report.html");   // loaded
 *     page.problems   // exceptions, console errors and warnings, CSP reports
 *     page.requests   // every URL the page asked for ({url, blocked}: blocked
 *                     // is the reason it never left, e.g. "csp")
 *     await page.eval("document.title");
 *     await page.attachFrames();  // then page.frames: out-of-process iframes
 *     await page.screenshot("/tmp/x.png");
 *     await b.close();
 *
 * Each browser gets its own profile in a temporary directory (other test
 * runs may share the machine) and is ended by its own process id.
 * Chromium's own sandbox is off: the suite runs as root, where Chromium
 * will not start with it, and the pages are the tests' own files. */
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

function findChromium() {
	for (const c of [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"])
		if (c && fs.existsSync(c))
			return c;
	return null;
}

class Browser {
	static async launch(opts = {}) {
		const exe = findChromium();
		if (!exe)
			throw new Error("no chromium (Debian: apt-get install chromium)");
		const profile = fs.mkdtempSync(path.join(os.tmpdir(), "stratbox-chromium-"));
		const args = [
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
			"--remote-debugging-pipe",
			`--user-data-dir=${profile}`, "--no-first-run", "--no-default-browser-check",
			"--disable-extensions", "--disable-background-networking", "--disable-sync",
			"--disable-component-update", "--disable-default-apps", "--mute-audio",
			"--hide-scrollbars", "about:blank",
		];
		const child = spawn(exe, args, { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
		const b = new Browser(child, profile, opts.timeoutMs || 60000);
		await b.send("Target.setDiscoverTargets", { discover: false });
		return b;
	}

	constructor(child, profile, timeoutMs) {
		this.child = child;
		this.profile = profile;
		this.timeoutMs = timeoutMs;
		this.nextId = 1;
		this.pending = new Map();
		this.sessions = new Map();
		this.stderr = "";
		this.exited = false;
		let buf = Buffer.alloc(0);
		child.stdio[4].on("data", (chunk) => {
			buf = Buffer.concat([buf, chunk]);
			let end;
			while ((end = buf.indexOf(0)) >= 0) {
				const msg = JSON.parse(buf.subarray(0, end).toString("utf8"));
				buf = buf.subarray(end + 1);
				this.dispatch(msg);
			}
		});
		child.stderr.on("data", (d) => {
			if (this.stderr.length < 1 << 16)
				this.stderr += d.toString();
		});
		child.on("exit", () => {
			this.exited = true;
			for (const [, p] of this.pending)
				p.reject(new Error("chromium exited:\n" + this.stderr.slice(-2000)));
			this.pending.clear();
		});
	}

	dispatch(msg) {
		if (msg.id !== undefined) {
			const p = this.pending.get(msg.id);
			if (!p)
				return;
			this.pending.delete(msg.id);
			clearTimeout(p.timer);
			if (msg.error)
				p.reject(new Error(`${p.method}: ${msg.error.message}`));
			else
				p.resolve(msg.result);
			return;
		}
		const s = msg.sessionId && this.sessions.get(msg.sessionId);
		if (s)
			s.event(msg.method, msg.params);
	}

	send(method, params = {}, sessionId) {
		if (this.exited)
			return Promise.reject(new Error("chromium exited:\n" + this.stderr.slice(-2000)));
		const id = this.nextId++;
		const msg = { id, method, params };
		if (sessionId)
			msg.sessionId = sessionId;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new Error(`${method}: no answer in ${this.timeoutMs} ms`));
			}, this.timeoutMs);
			this.pending.set(id, { resolve, reject, timer, method });
			this.child.stdio[3].write(JSON.stringify(msg) + "\0");
		});
	}

	/* A new tab of the given size, loaded with url, its problems and
	 * requests recorded from before the navigation. */
	async open(url, { width = 1400, height = 1800 } = {}) {
		const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
		const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
		const page = new Page(this, sessionId, targetId);
		this.sessions.set(sessionId, page);
		for (const d of ["Runtime", "Log", "Network", "Page"])
			await page.send(`${d}.enable`);
		await page.send("Emulation.setDeviceMetricsOverride",
			{ width, height, deviceScaleFactor: 1, mobile: false });
		const loaded = page.waitFor("Page.loadEventFired");
		const nav = await page.send("Page.navigate", { url });
		if (nav.errorText)
			throw new Error(`${url}: ${nav.errorText}`);
		await loaded;
		return page;
	}

	async close() {
		const exited = new Promise((r) => (this.exited ? r() : this.child.once("exit", r)));
		const wait = (ms) => Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
		if (!this.exited) {
			this.send("Browser.close").catch(() => {}); /* it may exit before answering */
			await wait(10000);
		}
		if (!this.exited) {
			try {
				process.kill(this.child.pid, "SIGKILL");
			} catch (e) {
				/* gone */
			}
			await exited;
		}
		fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 5 });
	}
}

class Page {
	constructor(browser, sessionId, targetId) {
		this.browser = browser;
		this.sessionId = sessionId;
		this.targetId = targetId;
		this.problems = [];
		this.requests = [];
		this.waiters = [];
		this.frames = [];
	}

	/* Frames in processes of their own (Chromium gives a sandboxed iframe
	 * one): each attached as it appears, held paused until its problems and
	 * requests are recorded like the page's, then kept in page.frames as a
	 * Page (eval, problems) while it lives. */
	async attachFrames() {
		await this.send("Target.setAutoAttach",
			{ autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
	}

	async attachFrame(p) {
		const f = new Page(this.browser, p.sessionId, p.targetInfo.targetId);
		f.url = p.targetInfo.url;
		this.browser.sessions.set(p.sessionId, f);
		try {
			for (const d of ["Runtime", "Log", "Network"])
				await f.send(`${d}.enable`);
			await f.attachFrames();
			this.frames.push(f);
		} finally {
			await f.send("Runtime.runIfWaitingForDebugger").catch(() => {});
		}
	}

	send(method, params = {}) {
		return this.browser.send(method, params, this.sessionId);
	}

	event(method, p) {
		switch (method) {
		case "Runtime.exceptionThrown": {
			const d = p.exceptionDetails;
			this.problems.push(`uncaught exception: ${(d.exception && d.exception.description) || d.text}`);
			break;
		}
		case "Runtime.consoleAPICalled":
			if (["error", "warning", "assert"].includes(p.type))
				this.problems.push(`console.${p.type}: ` +
					p.args.map((a) => a.value !== undefined ? a.value : a.description).join(" "));
			break;
		case "Log.entryAdded":
			/* CSP violations, blocked loads, deprecations, interventions */
			if (["error", "warning"].includes(p.entry.level))
				this.problems.push(`${p.entry.source} ${p.entry.level}: ${p.entry.text}` +
					(p.entry.url ? ` (${p.entry.url})` : ""));
			break;
		case "Target.attachedToTarget":
			if (p.targetInfo.type === "iframe")
				this.attachFrame(p).catch((e) => this.problems.push(`frame not attached: ${e.message}`));
			else
				this.browser.send("Runtime.runIfWaitingForDebugger", {}, p.sessionId).catch(() => {});
			break;
		case "Target.detachedFromTarget":
			this.frames = this.frames.filter((f) => f.sessionId !== p.sessionId);
			this.browser.sessions.delete(p.sessionId);
			break;
		case "Network.requestWillBeSent":
			this.requests.push({ id: p.requestId, url: p.request.url, blocked: null });
			break;
		case "Network.loadingFailed":
			for (const r of this.requests)
				if (r.id === p.requestId && p.blockedReason)
					r.blocked = p.blockedReason;
			break;
		default:
			break;
		}
		this.waiters = this.waiters.filter((w) => {
			if (w.method !== method)
				return true;
			w.resolve(p);
			return false;
		});
	}

	waitFor(method) {
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`${method}: not in time`)),
				this.browser.timeoutMs);
			this.waiters.push({ method, resolve: (p) => { clearTimeout(timer); resolve(p); } });
		});
	}

	/* The value of an expression (awaited when a promise), as JSON. */
	async eval(expression) {
		const r = await this.send("Runtime.evaluate",
			{ expression, returnByValue: true, awaitPromise: true });
		if (r.exceptionDetails)
			throw new Error(`${expression.slice(0, 80)}: ` +
				((r.exceptionDetails.exception && r.exceptionDetails.exception.description) ||
				 r.exceptionDetails.text));
		return r.result.value;
	}

	/* The whole page (or a clip {x, y, width, height}) as PNG. */
	async screenshot(file, clip) {
		const params = { format: "png", captureBeyondViewport: true };
		if (clip)
			params.clip = Object.assign({ scale: 1 }, clip);
		else {
			const m = await this.send("Page.getLayoutMetrics");
			const s = m.cssContentSize || m.contentSize;
			params.clip = { x: 0, y: 0, width: Math.ceil(s.width), height: Math.ceil(s.height), scale: 1 };
		}
		const { data } = await this.send("Page.captureScreenshot", params);
		fs.writeFileSync(file, Buffer.from(data, "base64"));
	}

	async close() {
		await this.browser.send("Target.closeTarget", { targetId: this.targetId });
		this.browser.sessions.delete(this.sessionId);
	}
}

module.exports = { Browser, findChromium };
