"use strict";
// The dashboard: one snapshot from the control API (GET /_mockbaas/ui/state), rendered
// with DOM nodes and text only, never HTML strings: every value shown may come from a
// caller (paths, queries, URLs, error messages). With a control token, open the page
// as /_mockbaas/ui#token=TOKEN: the fragment never leaves the browser.
const BASE = "/_mockbaas";
const TOKEN = new URLSearchParams(location.hash.slice(1)).get("token");

async function call(method, path, body) {
  const headers = {};
  if (TOKEN) headers["Authorization"] = "Bearer " + TOKEN;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(BASE + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const data = await resp.json();
  if (!resp.ok) throw new Error(method + " " + path + ": " + (data.message || resp.status));
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const KIND = {
  joining_call: "joining", in_waiting_room: "waiting", in_call_not_recording: "incall",
  in_call_recording: "recording", recording_resumed: "recording", recording_paused: "paused",
  call_ended: "ended",
};
const ms = (iso) => Date.parse(iso);
const short = (id) => String(id).slice(0, 8);
const clockTime = (iso) => (iso ? iso.slice(11, 23) : "");

function timeline(bot, nowIso) {
  const entries = bot.history;
  const bar = el("div", { class: "timeline", "data-bot-id": bot.bot_id });
  if (!entries.length) return bar;
  const start = ms(entries[0].created_at);
  const end = Math.max(ms(bot.ended_at || nowIso), ms(entries[entries.length - 1].created_at));
  const span = Math.max(end - start, 1);
  entries.forEach((e, i) => {
    const from = ms(e.created_at);
    const to = i + 1 < entries.length ? ms(entries[i + 1].created_at) : end;
    const why = e.error_message || e.end_reason || "";
    const seg = el("div", {
      class: "seg " + (KIND[e.code] || "failure"), "data-code": e.code, "data-at": e.created_at,
      title: e.code + " at " + e.created_at + (why ? ": " + why : ""),
    }, e.code);
    seg.style.flexGrow = String(Math.max((to - from) / span, 0.02));
    bar.append(seg);
  });
  return bar;
}

function renderClock(clock) {
  document.getElementById("clock-now").textContent = clock.now;
  document.getElementById("clock-info").textContent =
    clock.mode + " clock · " + clock.pending_timers + " timers pending" +
    (clock.next_due ? " · next at " + clock.next_due : "");
  const next = document.getElementById("next-timer");
  next.disabled = !clock.next_due;
  next.dataset.due = clock.next_due || "";
}

function counted(id, part, what) {
  document.getElementById(id).textContent = "(" +
    (part.total > part.items.length ? "last " + part.items.length + " of " : "") +
    part.total + what + ")";
}

function renderBots(bots, nowIso) {
  document.querySelector("#bots tbody").replaceChildren(...bots.items.map((b) => el("tr",
    { "data-bot-id": b.bot_id, "data-status": b.status || "", "data-outcome": b.outcome || "" },
    el("td", { class: "mono", title: b.bot_id }, short(b.bot_id)),
    el("td", {}, b.account_id),
    el("td", {}, b.scenario),
    el("td", { class: "status" }, b.status || "not joined"),
    el("td", { class: b.outcome === "failed" ? "bad" : "ok" },
       b.outcome ? b.outcome + (b.error_type ? " (" + b.error_type + ")" : "") : ""),
    el("td", {}, timeline(b, nowIso)),
    el("td", { class: "muted" },
       b.pending.map((p) => p.status + " at " + clockTime(p.due)).join(", ")),
  )));
  counted("bots-count", bots, "");
}

function what(d) {
  const status = d.payload && d.payload.data && d.payload.data.status;
  return d.event === "bot.status_change" && status ? d.event + " " + status.code : d.event;
}

function renderWebhooks(deliveries) {
  document.querySelector("#webhooks tbody").replaceChildren(...deliveries.items.map((d) => el("tr",
    {
      "data-delivery-id": d.id, "data-state": d.state, "data-event": what(d),
      class: d.contract_errors.length ? "violation" : "",
    },
    el("td", {}, d.seq),
    el("td", {}, what(d), ...d.contract_errors.map((e) => el("div", { class: "why" }, e))),
    el("td", { class: "mono", title: d.subject }, short(d.subject)),
    el("td", { class: "mono url" }, d.url || "—"),
    el("td", { class: "state state-" + d.state }, d.state),
    el("td", { class: "mono" }, ...d.attempts.map((a) => el("span",
      { class: "attempt " + (a.error ? "bad" : "ok"), "data-number": a.number },
      "#" + a.number + " " + a.kind + " " + clockTime(a.at) + " → " +
      (a.error || a.status_code + " ok")))),
  )));
  counted("webhooks-count", deliveries, "");
}

function renderTraffic(requests) {
  const violations = requests.items.filter((r) => r.violation).length;
  document.querySelector("#traffic tbody").replaceChildren(
    ...requests.items.slice().reverse().map((r) => el("tr",
      { class: r.violation ? "violation" : "", "data-seq": r.seq, "data-status": r.status },
      el("td", {}, r.seq),
      el("td", { class: "mono" }, clockTime(r.at)),
      el("td", { class: "mono url" }, r.method + " " + r.path + (r.query ? "?" + r.query : "")),
      el("td", {}, r.operation_id || "—"),
      el("td", {}, r.status === null ? "dropped" : String(r.status),
         r.error && r.error.message ? el("div", { class: "why" }, r.error.message) : ""),
    )));
  counted("traffic-count", requests, " calls, " + violations + " shown breaking the contract");
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const state = await call("GET", "/ui/state");
    renderClock(state.clock);
    renderBots(state.bots, state.clock.now);
    renderWebhooks(state.deliveries);
    renderTraffic(state.requests);
    document.getElementById("load-error").textContent = "";
    document.body.dataset.loaded = state.clock.now;   // what a test waits for
  } catch (err) {
    document.getElementById("load-error").textContent = String(err.message || err);
  } finally {
    busy = false;
  }
}

async function act(method, path, body) {
  document.getElementById("error").textContent = "";   // an action's refusal stays until the next
  try { await call(method, path, body); } catch (err) {
    document.getElementById("error").textContent = String(err.message || err);
    return;
  }
  await refresh();
}

for (const button of document.querySelectorAll("button[data-advance]")) {
  button.addEventListener("click", () =>
    act("POST", "/clock/advance", { seconds: Number(button.dataset.advance) }));
}
document.getElementById("next-timer").addEventListener("click", (event) => {
  const due = event.currentTarget.dataset.due;
  if (due) act("POST", "/clock/advance_to", { time: due });
});
document.getElementById("run-idle").addEventListener("click", () =>
  act("POST", "/clock/run_until_idle", {}));

refresh();
setInterval(refresh, 1000);
