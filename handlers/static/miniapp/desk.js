// The front desk's console Mini App (handlers/miniapp_desk.py). No library: the launch
// parameters come from the URL fragment, Telegram's QR scanner is asked through the Mini App
// events (web_app_open_scan_qr_popup → qr_text_received), every request carries the init data.
"use strict";
(function () {
  const app = document.getElementById("app");
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const initData = fragment.get("tgWebAppData") || "";
  const version = parseFloat(fragment.get("tgWebAppVersion") || "0");
  let strings = {};
  let selfieUrl = null;

  // Telegram's bridge: mobile clients call Telegram.WebView.receiveEvent, web clients post.
  const listeners = {};
  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = {
    receiveEvent(type, data) { (listeners[type] || []).forEach((f) => f(data || {})); },
  };
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;  // only the client showing this page
    try {
      const m = JSON.parse(event.data);
      if (m && m.eventType) window.Telegram.WebView.receiveEvent(m.eventType, m.eventData);
    } catch (e) { /* not Telegram's */ }
  });
  const proxy = window.TelegramWebviewProxy;
  const framed = window.parent !== window;
  function post(type, data) {
    if (proxy) proxy.postEvent(type, JSON.stringify(data || {}));
    else if (framed) window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "*");
  }
  const canScan = version >= 6.4 && (proxy || framed);
  listeners.qr_text_received = [(data) => {
    post("web_app_close_scan_qr_popup");
    if (data.data) check(data.data);
  }];

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  async function call(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { Authorization: "tma " + initData, "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      cache: "no-store",
    });
    if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) {
      let failure = { error: response.statusText };
      try { failure = await response.json(); } catch (e) { /* keep the status */ }
      failure.status = response.status;
      throw failure;
    }
    return response.json();
  }

  function refuse(body) {
    document.body.dataset.state = "refused";
    app.replaceChildren(el("p", { id: "message", class: "error" }, body.error || "Error"));
    if (body.locale) document.documentElement.lang = body.locale === "zh" ? "zh-CN" : "en";
  }

  function say(target, body) {
    target.replaceChildren(el("p", { class: body.error ? "error" : "note", id: "said" }, body.error || body.message));
  }

  function actionButtons(serial, list, after) {
    const box = el("div", { class: "actions" });
    const reason = el("input", { id: "reason-" + serial, placeholder: strings.reason, maxlength: "300" });
    list.forEach((action) => {
      const b = el("button", { type: "button", "data-action": action, "data-serial": serial }, strings[action]);
      b.addEventListener("click", () => {
        const body = { serial: serial };
        if (action === "undo") {
          body.reason = reason.value.trim();
          if (!body.reason) { reason.hidden = false; reason.focus(); return; }
        }
        call("/app/api/desk/" + action, body).then(after, (failure) => {
          if (failure.status === 401 || failure.status === 403) refuse(failure);
          else after(failure);
        });
      });
      box.append(b);
    });
    if (list.includes("undo")) { reason.hidden = true; box.append(reason); }
    return box;
  }

  function row(list, name, value) {
    if (value) list.append(el("dt", {}, name), el("dd", {}, value));
  }

  function showResult(r) {
    const out = document.getElementById("result");
    if (selfieUrl) { URL.revokeObjectURL(selfieUrl); selfieUrl = null; }
    const parts = [el("div", { id: "status", class: "status " + r.status, "data-status": r.status },
      r.word + " — " + r.meaning)];
    if (r.warning) parts.push(el("p", { id: "warning", class: "error" }, r.warning));
    if (r.note) parts.push(el("p", { class: "note" }, r.note));
    if (r.person) {
      const img = el("img", { id: "selfie", class: "selfie", alt: r.person.full_name });
      if (r.person.selfie) {
        fetch("/app/api/desk/selfie", {
          method: "POST",
          headers: { Authorization: "tma " + initData, "Content-Type": "application/json" },
          body: JSON.stringify({ serial: r.serial }),
          cache: "no-store",
        }).then((res) => (res.ok ? res.blob() : null)).then((blob) => {
          if (!blob) return;
          selfieUrl = URL.createObjectURL(blob);
          img.src = selfieUrl;
          img.dataset.loaded = "yes";
        });
        parts.push(img);
      }
      parts.push(el("p", { id: "person-note", class: "note" }, r.person.note));
    }
    const list = el("dl", { id: "details" });
    if (r.person) {
      row(list, strings.name, r.person.full_name);
      row(list, strings.document, strings.last4.replace("{last4}", r.person.last4));
    } else {
      row(list, strings.holder, r.holder);
      row(list, strings.document, r.document);
    }
    row(list, strings.serial, r.serial);
    row(list, strings.hotel, r.hotel);
    row(list, strings.stay, r.stay);
    if (r.check_in) row(list, "", r.check_in.text);
    if (list.children.length) parts.push(list);
    const said = el("div", { id: "done" });
    if (r.actions && r.actions.length) parts.push(actionButtons(r.serial, r.actions, (body) => { say(said, body); refresh(); }));
    parts.push(said);
    out.replaceChildren(...parts);
  }

  function check(code) {
    call("/app/api/desk/check", { code: code }).then(showResult, (failure) => {
      if (failure.status === 401 || failure.status === 403) refuse(failure);
    });
  }

  function showArrivals(arrivals) {
    const box = document.getElementById("arrivals");
    if (!arrivals.length) { box.replaceChildren(el("p", { class: "note" }, strings.nobody)); return; }
    const list = el("ul", { id: "arrival-list" });
    arrivals.forEach((a) => {
      const item = el("li", { "data-serial": a.serial });
      item.append(el("span", {}, a.serial + " · " + a.holder + " · " + (a.check_in ? a.check_in.text : strings.not_yet)));
      if (a.actions.length) item.append(actionButtons(a.serial, a.actions, (body) => { say(item, body); refresh(); }));
      list.append(item);
    });
    box.replaceChildren(list);
  }

  function refresh() {
    call("/app/api/desk").then((body) => showArrivals(body.arrivals), refuse);
  }

  function show(body) {
    strings = body.strings;
    document.documentElement.lang = body.locale === "zh" ? "zh-CN" : "en";
    document.title = strings.title;
    document.body.dataset.state = "desk";
    const parts = [el("h1", {}, strings.title + " · " + body.hotel)];
    if (canScan) {
      const scan = el("button", { id: "scan", type: "button" }, strings.scan);
      scan.addEventListener("click", () => post("web_app_open_scan_qr_popup", { text: strings.scan }));
      parts.push(scan);
    }
    const code = el("textarea", { id: "code", rows: "2", placeholder: strings.paste, "aria-label": strings.paste });
    const go = el("button", { id: "check", type: "button" }, strings.check);
    go.addEventListener("click", () => { if (code.value.trim()) check(code.value.trim()); });
    parts.push(code, go, el("section", { id: "result" }), el("h2", {}, strings.today), el("section", { id: "arrivals" }));
    app.replaceChildren(...parts);
    showArrivals(body.arrivals);
    post("web_app_ready");
  }

  call("/app/api/desk").then(show, refuse);
})();
