/*
 * The dashboard in a real browser: Debian's chromium driven headless by
 * playwright-core (pinned in package-lock.json, installed by make into
 * $BUILD/browser).  Run by tests/integration/obs_dashboard.sh:
 *
 *   node dashboard.cjs MODULES URL TOKEN NAMESPEC SCREENSHOT PROFILE NINST
 *
 * The page must load, show the NINST instances and the processes (some
 * of other instances when NINST > 1), go live on
 * the event stream; a click on NAMESPEC's stop button must turn its row
 * STOPPED without a reload (a marker set on the window survives) and the
 * footer says the stop is done.  The screenshot is written last.
 */
"use strict";

const path = require("path");
const [modules, url, token, namespec, shot, profile, ninst] = process.argv.slice(2);
const { chromium } = require(path.join(modules, "playwright-core"));

function fail(msg) {
	console.error("FAIL: " + msg);
	process.exitCode = 1;
}

async function main() {
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: "/usr/bin/chromium",
		headless: true,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
			"--no-first-run", "--disable-background-networking",
			"--disable-component-update", "--disable-sync"],
		viewport: { width: 1280, height: 860 },
		deviceScaleFactor: 1,
	});
	const page = ctx.pages()[0] || await ctx.newPage();
	const errors = [];
	page.on("pageerror", (e) => errors.push(e.message));
	/* failed loads are the page's business (statistics may be off):
	 * only script errors count */
	page.on("console", (m) => {
		if (m.type() === "error" && !/^Failed to load resource/.test(m.text()))
			errors.push(m.text());
	});
	await page.addInitScript((t) => sessionStorage.setItem("supvisors-sched-token", t), token);
	try {
		await page.goto(url, { timeout: 10000 });
		await page.waitForFunction((n) =>
			document.querySelectorAll("#instances tr[data-instance]").length >= n,
			+ninst, { timeout: 10000 });
		await page.waitForSelector("#live.on", { timeout: 10000 });
		const row = `#processes tr[data-ns="${namespec}"][data-local]`;
		const state = `${row} td.state`;
		await page.waitForFunction((s) => {
			const e = document.querySelector(s);
			return e && e.textContent === "RUNNING";
		}, state, { timeout: 15000 });
		const nprocs = await page.locator("#processes tr[data-ns]").count();
		if (nprocs < 2)
			fail(`${nprocs} process rows`);
		if (+ninst > 1)
			await page.waitForSelector("#processes tr[data-ns]:not([data-local])",
				{ timeout: 10000 });
		await page.evaluate(() => { window.__kept = 1; });
		await page.click(`${row} button[data-action="stop"]`);
		await page.waitForFunction((s) => {
			const e = document.querySelector(s);
			return e && e.textContent === "STOPPED";
		}, state, { timeout: 15000 });
		if (await page.evaluate(() => window.__kept) !== 1)
			fail("the page reloaded");
		const msg = await page.textContent("#message");
		if (!/stop: done/.test(msg))
			fail("footer after stop: " + msg);
		/* a moment of live statistics for the charts, when there are */
		await page.waitForFunction(() => document.querySelectorAll("#events li").length > 3,
			null, { timeout: 5000 }).catch(() => {});
		await page.screenshot({ path: shot, fullPage: true });
	} catch (e) {
		fail(e.message);
		await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
	}
	if (errors.length)
		fail("errors in the page: " + errors.join("; "));
	await ctx.close();
}

main().catch((e) => { fail(e.stack || String(e)); });
