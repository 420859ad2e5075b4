// The dashboard's sign-in (handlers/dashboard_auth.py), written for Linkage: no script from
// another origin. Two ways in:
// - opened as a Mini App from the bot: the init data in the URL fragment is exchanged for the
//   session (POST /auth/miniapp, Authorization: tma <init data>), then /dashboard;
// - in a browser: Telegram's Login Widget in redirect mode, i.e. the frame of
//   oauth.telegram.org/embed/<bot> that telegram.org's widget script would draw, with
//   return_to = /auth/telegram, where Telegram sends the signed fields.
"use strict";
(function () {
  const box = document.getElementById("telegram-login");
  const error = document.getElementById("login-error");
  if (!box) return;
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const initData = fragment.get("tgWebAppData");
  const next = new URLSearchParams(window.location.search).get("next") || "/dashboard";
  const target = next.startsWith("/") && !next.startsWith("//") ? next : "/dashboard";

  if (initData) {
    box.textContent = box.dataset.opening || "…";
    fetch("/auth/miniapp", {
      method: "POST",
      headers: { Authorization: "tma " + initData },
      credentials: "same-origin",
    }).then(async (response) => {
      if (response.ok) { window.location.replace(target); return; }
      let message = response.statusText;
      try { message = (await response.json()).error || message; } catch (e) { /* keep it */ }
      box.textContent = "";
      error.textContent = message;
      error.hidden = false;
    });
    return;
  }

  const bot = box.dataset.bot;
  if (!bot) return;
  const frame = document.createElement("iframe");
  const query = new URLSearchParams({
    origin: box.dataset.origin,
    return_to: box.dataset.authUrl,
    size: "large",
    request_access: "write",
    lang: box.dataset.lang || "en",
  });
  frame.src = "https://oauth.telegram.org/embed/" + encodeURIComponent(bot) + "?" + query;
  frame.title = "Telegram";
  frame.width = "240";
  frame.height = "40";
  frame.className = "telegram-login";
  box.append(frame);
})();
