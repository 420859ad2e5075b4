// The tourist's "My certificate" Mini App (handlers/miniapp_certificate.py). No library: the
// launch parameters are read from the URL fragment (#tgWebAppData=...), the QR is drawn from the
// module matrix the server makes, every request carries the init data for the server to check.
"use strict";
(function () {
  const app = document.getElementById("app");
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const initData = fragment.get("tgWebAppData") || "";
  let timer = null;
  let clock = null;
  let started = Date.now();

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function call(path) {
    const response = await fetch(path, {
      method: "POST",
      headers: { Authorization: "tma " + initData },
      cache: "no-store",
    });
    const body = await response.json();
    if (!response.ok) throw body;
    return body;
  }

  function fail(body) {
    document.body.dataset.state = "refused";
    app.replaceChildren(el("p", { id: "message", class: "error" }, body.error || "Error"));
    document.documentElement.lang = body.locale === "zh" ? "zh-CN" : "en";
  }

  function drawQr(canvas, rows) {
    const scale = 8;
    canvas.width = canvas.height = rows.length * scale;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000";
    rows.forEach((row, y) => {
      for (let x = 0; x < row.length; x++) {
        if (row[x] === "1") ctx.fillRect(x * scale, y * scale, scale, scale);
      }
    });
  }

  function row(list, name, value) {
    list.append(el("dt", {}, name), el("dd", {}, value));
  }

  function button(id, label, path, done) {
    const b = el("button", { id: id, type: "button" }, label);
    b.addEventListener("click", () => call(path).then(done, fail));
    return b;
  }

  function show(body) {
    const s = body.strings;
    document.documentElement.lang = body.locale === "zh" ? "zh-CN" : "en";
    document.title = s.title;
    document.body.dataset.state = body.state;
    const parts = [el("h1", {}, s.title)];
    const drawn = document.getElementById("qr");
    if (body.state === "certificate" && drawn && drawn.dataset.serial === body.certificate.serial) {
      refreshCode(drawn, body.certificate);  // the same certificate: only the code changes
      return;
    }
    if (body.state === "certificate") {
      const c = body.certificate;
      const canvas = el("canvas", { id: "qr", class: "qr", "data-serial": c.serial });
      drawQr(canvas, c.qr);
      const time = el("p", { id: "clock", class: "clock" });
      const bar = el("div", { class: "bar" });
      const fill = el("span", { id: "window" });
      bar.append(fill);
      started = Date.now() - c.elapsed_ms;
      const tick = () => {
        time.textContent = new Date().toLocaleTimeString(body.locale === "zh" ? "zh-CN" : "en-GB");
        const share = Math.min(1, (Date.now() - started) / (c.window_seconds * 1000));
        fill.style.width = (100 * (1 - share)).toFixed(1) + "%";
      };
      tick();
      clearInterval(clock);
      clock = setInterval(tick, 250);
      const list = el("dl");
      row(list, s.hotel, c.hotel);
      row(list, s.stay, c.valid_from + " – " + c.valid_until);
      row(list, s.holder, c.holder);
      row(list, s.serial, c.serial);
      parts.push(canvas, time, el("div", { class: "pulse" }), bar,
        el("p", { class: "note" }, s.live.replace("{seconds}", c.window_seconds)), list,
        button("card", s.card, "/app/api/certificate/card", () => {
          document.getElementById("card").replaceWith(el("p", { class: "note" }, s.card_sent));
        }));
      clearTimeout(timer);
      timer = setTimeout(load, c.next_in_ms + 150);
    } else if (body.state === "pending") {
      const a = body.application;
      parts.push(el("p", { id: "message" }, s.pending.replace("{id}", a.id).replace("{when}", a.submitted_at)),
        button("withdraw", s.withdraw, "/app/api/certificate/withdraw", () => {
          app.replaceChildren(el("h1", {}, s.title), el("p", { id: "message" }, s.withdrawn));
          document.body.dataset.state = "withdrawn";
        }));
    } else {
      parts.push(el("p", { id: "message" }, s.none));
    }
    app.replaceChildren(...parts);
  }

  // A new window's code is drawn on the same canvas: the page does not flicker or move.
  function refreshCode(canvas, c) {
    drawQr(canvas, c.qr);
    started = Date.now() - c.elapsed_ms;
    clearTimeout(timer);
    timer = setTimeout(load, c.next_in_ms + 150);
  }

  function load() {
    call("/app/api/certificate").then(show, fail);
  }
  load();
})();
