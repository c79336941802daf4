/*
 * The dashboard's logic: load the state once with the /v1 GETs, then
 * follow GET /v1/events (EventSource, resuming from the ring with
 * last_event_id=0 so that the charts start with the statistics the
 * daemon still keeps) and redraw.  Writes are POSTs with a JSON body and
 * Content-Type: application/json; over TCP they carry the bearer token
 * typed in with the "token" button (kept in sessionStorage only).
 */
"use strict";

const HISTORY = 300; /* points per chart series */
const EVENTS_SHOWN = 80;

const st = {
	cluster: null,
	instances: new Map(),
	apps: new Map(),
	procs: new Map(),  /* "namespec@instance" -> process */
	hstats: new Map(), /* instance -> latest hstats */
	pstats: new Map(), /* namespec -> latest pstats */
	hist: new Map(),   /* "i:NAME" or "p:NAMESPEC" -> [{t, cpu, mem}] */
	selected: null,    /* namespec charted, or null: the instance */
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === "class")
			e.className = v;
		else if (k.startsWith("data-"))
			e.setAttribute(k, v);
		else
			e[k] = v;
	}
	for (const c of children)
		if (c !== null && c !== undefined)
			e.append(c instanceof Node ? c : String(c));
	return e;
}

function pill(state) {
	const s = state === null || state === undefined ? "-" : String(state);
	return el("span", { class: "pill s-" + s.replace(/ /g, "_") }, s);
}

function pct(v) {
	return typeof v === "number" ? v.toFixed(1) + " %" : "—";
}

function duration(s) {
	if (!(s >= 0))
		return "";
	s = Math.floor(s);
	const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24;
	const m = Math.floor(s / 60) % 60, sec = s % 60;
	const two = (n) => String(n).padStart(2, "0");
	return (d ? d + "d " : "") + h + ":" + two(m) + ":" + two(sec);
}

function uptime(p) {
	if (!["RUNNING", "STOPPING"].includes(p.state) || !p.start_time)
		return "";
	return duration((Date.now() - Date.parse(p.start_time)) / 1000);
}

/* supervisord's description of a running process names its uptime,
 * which moves on between events */
function describe(p) {
	if (p.state === "RUNNING" && p.pid > 0 && /^pid /.test(p.description || ""))
		return "pid " + p.pid + ", uptime " + uptime(p);
	return p.description || "";
}

function clock() {
	return new Date().toLocaleTimeString([], { hour12: false });
}

/* this instance's name: its processes are ours to act on and follow
 * on the event stream; the others' come with GET /v1/processes */
function local() {
	return st.cluster ? st.cluster.instance : "";
}

function pkey(p) {
	return p.namespec + "@" + (p.instance || local());
}

/* ------------------------------------------------------------ writes */

function token() {
	return sessionStorage.getItem("supvisors-sched-token") || "";
}

function message(text, ok) {
	const m = $("#message");
	m.textContent = clock() + " " + text;
	m.title = text;
	m.className = ok ? "ok" : "err";
}

async function post(path, body) {
	const headers = { "Content-Type": "application/json" };
	if (token())
		headers.Authorization = "Bearer " + token();
	let r, j = null;
	try {
		r = await fetch(path, {
			method: "POST",
			headers,
			body: JSON.stringify(body || {}),
		});
		j = await r.json().catch(() => null);
	} catch (e) {
		message("POST " + path + ": " + e.message, false);
		return;
	}
	if (r.ok) {
		message("POST " + path + ": done", true);
		return;
	}
	const err = (j && j.error) || {};
	let text = "POST " + path + ": " + r.status + " " +
		(err.code || r.statusText) + (err.message ? ": " + err.message : "");
	if (r.status === 401)
		text += " (set the token)";
	if (r.status === 404 && err.code === "NOT_FOUND")
		text += " (not available on this daemon yet)";
	message(text, false);
}

function strategy() {
	return $("#strategy").value;
}

function act(kind, name, action) {
	const body = { wait: true };
	if (action !== "stop")
		body.strategy = strategy();
	const base = kind === "app" ? "/v1/applications/" : "/v1/processes/";
	post(base + encodeURIComponent(name) + "/" + action, body);
}

function buttons(kind, name, remote) {
	const td = el("td", { class: "act" });
	for (const a of ["start", "stop", "restart"]) {
		const b = el("button", { "data-action": a }, a);
		if (remote) {
			b.disabled = true;
			b.title = "use the dashboard of " + remote;
		}
		b.setAttribute(kind === "app" ? "data-app" : "data-ns", name);
		b.onclick = (ev) => {
			ev.stopPropagation();
			act(kind, name, a);
		};
		td.append(b);
	}
	return td;
}

/* ------------------------------------------------------------ render */

function fill(tbody, rows, cols, empty) {
	tbody.replaceChildren(...rows);
	if (rows.length === 0)
		tbody.append(el("tr", {}, el("td", { class: "empty", colSpan: cols }, empty)));
}

function renderCluster() {
	const c = st.cluster;
	if (!c)
		return;
	const s = $("#cluster-state");
	s.replaceWith(Object.assign(pill(c.state), { id: "cluster-state" }));
	$("#cluster-master").textContent = c.master || "none";
	$("#cluster-version").textContent = "v" + c.version + " · " + c.instance;
	$("#footer-instance").textContent = "instance " + c.instance;
	document.title = "supvisors-sched · " + c.instance;
}

function renderInstances() {
	const rows = [];
	for (const i of st.instances.values()) {
		const h = st.hstats.get(i.name) || {};
		const cpu = typeof i.cpu_percent === "number" ? i.cpu_percent : h.cpu_percent;
		const mem = typeof i.mem_percent === "number" ? i.mem_percent : h.mem_percent;
		const load = Math.max(0, Math.min(100, i.load || 0));
		rows.push(el("tr", { "data-instance": i.name },
			el("td", {}, i.name, i.master ? el("span", { class: "master", title: "master" }, "✪") : null),
			el("td", {}, pill(i.suspect ? "SUSPECT" : i.state)),
			el("td", {}, el("span", { class: "bar" }, el("i", { style: "width:" + load + "%" })), i.load + " %"),
			el("td", { class: "num" }, pct(cpu)),
			el("td", { class: "num" }, pct(mem)),
			el("td", { class: "num" }, i.processes)));
	}
	fill($("#instances tbody"), rows, 6, "no instance");
}

function renderApps() {
	const rows = [];
	for (const a of st.apps.values()) {
		const f = [a.major_failure ? "major" : null, a.minor_failure ? "minor" : null]
			.filter(Boolean).join(", ");
		rows.push(el("tr", { "data-app": a.name },
			el("td", {}, a.name),
			el("td", {}, pill(a.state)),
			el("td", {}, a.operational_status ? pill(a.operational_status) : "—"),
			el("td", { class: f ? "fail" : "muted" }, f || "none"),
			buttons("app", a.name)));
	}
	fill($("#applications tbody"), rows, 5, "no application");
}

function renderProcs() {
	const rows = [], conflicts = [];
	for (const [key, p] of st.procs) {
		const mine = !p.instance || p.instance === local();
		const s = (mine && st.pstats.get(p.namespec)) || {};
		const tr = el("tr", { "data-ns": p.namespec, "data-key": key,
			"data-instance": p.instance || local() },
			el("td", {}, p.namespec),
			el("td", { class: "state" }, pill(p.state)),
			el("td", {}, p.instance || "—"),
			el("td", { class: "num" }, pct(s.cpu_percent)),
			el("td", { class: "num" }, pct(s.mem_percent)),
			el("td", { class: "num uptime" }, uptime(p)),
			el("td", { class: "desc" }, describe(p)),
			buttons("proc", p.namespec, mine ? null : p.instance));
		if (mine)
			tr.setAttribute("data-local", "1");
		if (mine && st.selected === p.namespec)
			tr.classList.add("selected");
		tr.onclick = () => {
			if (!mine)
				return;
			st.selected = st.selected === p.namespec ? null : p.namespec;
			renderProcs();
			renderCharts();
		};
		rows.push(tr);
		if (p.conflict)
			conflicts.push(el("tr", {}, el("td", {}, p.namespec),
				el("td", {}, (p.instances || []).join(", "))));
	}
	fill($("#processes tbody"), rows, 8, "no process");
	fill($("#conflicts tbody"), conflicts, 2, "no conflict");
}

function niceMax(v) {
	if (v <= 1)
		return 1;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 2.5, 5, 10])
		if (m * p >= v)
			return m * p;
	return 10 * p;
}

function drawChart(canvas, points, key, color) {
	const dpr = window.devicePixelRatio || 1;
	const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
	canvas.width = w * dpr;
	canvas.height = h * dpr;
	const g = canvas.getContext("2d");
	g.scale(dpr, dpr);
	g.clearRect(0, 0, w, h);
	const left = 34, right = 6, top = 6, bottom = 16;
	const vals = points.map((p) => p[key]).filter((v) => typeof v === "number");
	const top_ = Math.max(1, ...vals);
	/* percentages keep their 0-100 axis once they come near it */
	const max = top_ <= 100 && top_ > 50 ? 100 : niceMax(top_ * 1.1);
	g.font = "10px system-ui, sans-serif";
	g.fillStyle = "#6b7785";
	g.strokeStyle = "#e3e8ee";
	g.lineWidth = 1;
	for (const f of [0, 0.5, 1]) {
		const y = top + (h - top - bottom) * (1 - f);
		g.beginPath();
		g.moveTo(left, Math.round(y) + 0.5);
		g.lineTo(w - right, Math.round(y) + 0.5);
		g.stroke();
		g.fillText(String(+(max * f).toFixed(1)), 2, y + 3);
	}
	if (points.length < 2) {
		g.fillText(points.length ? "collecting…" : "no statistics", left + 8, h / 2);
		return;
	}
	const t0 = points[0].t, t1 = points[points.length - 1].t;
	const span = Math.max(1, t1 - t0);
	g.fillText(duration(span / 1000) + " ago", left, h - 3);
	g.fillText("now", w - right - 20, h - 3);
	const x = (t) => left + (w - left - right) * (t - t0) / span;
	const y = (v) => top + (h - top - bottom) * (1 - v / max);
	g.beginPath();
	let started = false;
	for (const p of points) {
		if (typeof p[key] !== "number")
			continue;
		if (started)
			g.lineTo(x(p.t), y(p[key]));
		else
			g.moveTo(x(p.t), y(p[key]));
		started = true;
	}
	g.strokeStyle = color;
	g.lineWidth = 1.6;
	g.stroke();
	g.lineTo(x(t1), y(0));
	g.lineTo(x(t0), y(0));
	g.closePath();
	g.fillStyle = color + "22";
	g.fill();
}

function renderCharts() {
	let key, title;
	if (st.selected) {
		key = "p:" + st.selected;
		title = "process " + st.selected;
	} else {
		const name = st.cluster ? st.cluster.instance : "";
		key = "i:" + name;
		title = "instance " + name;
	}
	$("#chart-title").textContent = title;
	const pts = st.hist.get(key) || [];
	drawChart($("#chart-cpu"), pts, "cpu", "#2f6fdf");
	drawChart($("#chart-mem"), pts, "mem", "#1f9d55");
}

let pending = false;
function render() {
	if (pending)
		return;
	pending = true;
	requestAnimationFrame(() => {
		pending = false;
		renderCluster();
		renderInstances();
		renderApps();
		renderProcs();
		renderCharts();
	});
}

/* ------------------------------------------------------------ data */

function record(key, d) {
	let h = st.hist.get(key);
	if (!h)
		st.hist.set(key, (h = []));
	const t = typeof d.now === "number" ? d.now * 1000 : Date.now();
	h.push({ t, cpu: d.cpu_percent, mem: d.mem_percent });
	if (h.length > HISTORY)
		h.splice(0, h.length - HISTORY);
}

function logEvent(kind, d) {
	const what = d.namespec || d.name || d.instance || "";
	const state = d.state || (typeof d.cpu_percent === "number" ? "cpu " + d.cpu_percent.toFixed(1) + " %" : "");
	const li = el("li", {}, el("span", { class: "k" }, kind),
		clock() + "  " + what + "  " + state);
	const ol = $("#events");
	ol.prepend(li);
	while (ol.children.length > EVENTS_SHOWN)
		ol.lastChild.remove();
}

const handlers = {
	supvisors: (d) => { st.cluster = d; },
	instance: (d) => {
		st.instances.set(d.name, d);
		if (d.name !== local())
			refreshRemote();
	},
	application: (d) => { st.apps.set(d.name, d); },
	process: (d) => { st.procs.set(pkey(d), d); },
	event: () => {},
	hstats: (d) => {
		st.hstats.set(d.name, d);
		record("i:" + d.name, d);
	},
	pstats: (d) => {
		st.pstats.set(d.namespec, d);
		record("p:" + d.namespec, d);
	},
};

function follow() {
	const es = new EventSource("/v1/events?last_event_id=0");
	const live = $("#live");
	es.onopen = () => {
		live.textContent = "live";
		live.classList.add("on");
	};
	es.onerror = () => {
		live.textContent = "reconnecting";
		live.classList.remove("on");
	};
	for (const kind of Object.keys(handlers)) {
		es.addEventListener(kind, (ev) => {
			const d = JSON.parse(ev.data);
			/* instances report their load every sample: only a
			 * change of state goes to the log */
			const was = kind === "instance" && st.instances.get(d.name);
			handlers[kind](d);
			if (kind !== "hstats" && kind !== "pstats" &&
			    !(was && was.state === d.state))
				logEvent(kind, d);
			render();
		});
	}
	es.addEventListener("dropped", () => {
		live.textContent = "dropped, reconnecting";
		live.classList.remove("on");
	});
}

async function getJSON(path) {
	const r = await fetch(path, token() ? { headers: { Authorization: "Bearer " + token() } } : {});
	if (!r.ok)
		throw new Error(path + ": " + r.status);
	return r.json();
}

/* The processes of the other instances, again: their instance events
 * tell that something moved there.  At most one GET per 1.5 s. */
let remoteTimer = null;
function refreshRemote() {
	if (remoteTimer)
		return;
	remoteTimer = setTimeout(async () => {
		try {
			const r = await getJSON("/v1/processes");
			for (const [k, p] of st.procs)
				if (p.instance && p.instance !== local())
					st.procs.delete(k);
			for (const p of r.processes)
				if (p.instance && p.instance !== local())
					st.procs.set(pkey(p), p);
			render();
		} catch (e) { /* the next instance event tries again */ }
		remoteTimer = null;
	}, 1500);
}

async function load() {
	const [state, inst, apps, procs] = await Promise.all([
		getJSON("/v1/state"), getJSON("/v1/instances"),
		getJSON("/v1/applications"), getJSON("/v1/processes"),
	]);
	st.cluster = state;
	for (const i of inst.instances)
		st.instances.set(i.name, i);
	for (const a of apps.applications)
		st.apps.set(a.name, a);
	for (const p of procs.processes)
		st.procs.set(pkey(p), p);
	/* statistics are optional: a daemon without them answers 404/503 */
	try {
		const s = await getJSON("/v1/stats/processes?period=0");
		for (const p of s.processes || [])
			st.pstats.set(p.namespec, p);
	} catch (e) { /* no statistics */ }
	render();
}

function setup() {
	$("#token-btn").onclick = () => {
		const t = prompt("Bearer token for writes (kept for this tab only):", token());
		if (t !== null)
			sessionStorage.setItem("supvisors-sched-token", t.trim());
	};
	for (const b of document.querySelectorAll("[data-cluster]")) {
		b.onclick = () => {
			const body = b.dataset.cluster === "conciliate"
				? { strategy: $("#conciliation-strategy").value } : {};
			post("/v1/" + b.dataset.cluster, body);
		};
	}
	/* uptimes move on between events */
	setInterval(() => {
		for (const tr of document.querySelectorAll("#processes tbody tr[data-key]")) {
			const p = st.procs.get(tr.dataset.key);
			if (!p)
				continue;
			tr.querySelector(".uptime").textContent = uptime(p);
			tr.querySelector(".desc").textContent = describe(p);
		}
	}, 1000);
	window.addEventListener("resize", renderCharts);
	load().catch((e) => message("loading: " + e.message, false)).finally(follow);
}

setup();
