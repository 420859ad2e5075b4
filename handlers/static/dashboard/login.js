// The dashboard's sign-in (handlers/dashboard_auth.py), written for Linkage: no script from
// another origin. Two ways in:
// - opened as a Mini App from the bot: the init data in the URL fragment is exchanged for the
//   session (POST /auth/miniapp, Authorization: tma <init data>). Telegram Web shows the Mini
//   App in a cross-site frame, where the SameSite=Lax cookie is neither kept nor sent (nor any
//   cookie when third-party cookies are blocked), so this page keeps the session's token in
//   memory (never in storage), fetches each dashboard page with `Authorization: Bearer
//   <token>` and draws it in place: links, forms (filters, actions, sign-out) and downloads
//   all go through `go`; the token is exchanged again when it runs out;
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
    miniApp(initData, target, error, box);
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

  // --- the Mini App: every page fetched with the session's token as a header ---------------
  function miniApp(initData, first, error, box) {
    let token = null;

    function fail(message) {
      const shown = document.getElementById("login-error") || error;
      if (box && box.isConnected) box.textContent = "";
      if (shown) { shown.textContent = message; shown.hidden = false; }
    }

    async function exchange() {
      const response = await fetch("/auth/miniapp", {
        method: "POST",
        headers: { Authorization: "tma " + initData },
        credentials: "omit",
      });
      let body = {};
      try { body = await response.json(); } catch (e) { /* an answer that is not JSON */ }
      if (!response.ok || !body.token) throw new Error(body.error || response.statusText);
      token = body.token;
    }

    function ours(url) {
      return url.origin === window.location.origin && url.pathname.startsWith("/dashboard") &&
        !url.pathname.startsWith("/dashboard/static/");
    }

    function draw(text) {
      const page = new DOMParser().parseFromString(text, "text/html");
      page.querySelectorAll("script").forEach((node) => node.remove());
      document.documentElement.lang = page.documentElement.lang;
      document.title = page.title;
      document.head.replaceWith(document.importNode(page.head, true));
      document.body.replaceWith(document.importNode(page.body, true));
      window.scrollTo(0, 0);
    }

    function save(blob, response) {
      const disposition = response.headers.get("Content-Disposition") || "";
      const named = /filename="?([^";]+)"?/.exec(disposition);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = named ? named[1] : "download";
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    }

    async function go(url, init, history) {
      const send = () => fetch(url, {
        ...init,
        credentials: "omit",
        headers: { Accept: "text/html", Authorization: "Bearer " + token },
      });
      let response = await send();
      if (response.status === 401) { await exchange(); response = await send(); }
      if ((response.headers.get("Content-Disposition") || "").startsWith("attachment")) {
        save(await response.blob(), response);
        return;
      }
      draw(await response.text());
      if (history === "push") window.history.pushState(null, "", response.url);
      if (history === "replace") window.history.replaceState(null, "", response.url);
    }

    function follow(url, init, history) {
      go(url, init, history).catch((reason) => fail(String(reason.message || reason)));
    }

    document.addEventListener("click", (event) => {
      const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
      if (!link || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const url = new URL(link.href, window.location.href);
      const here = new URL(window.location.href);
      if (!ours(url) || link.hasAttribute("download")) return;
      if (url.hash && url.pathname === here.pathname && url.search === here.search) return;
      event.preventDefault();
      follow(url, { method: "GET" }, "push");
    });

    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      const url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
      if (!ours(url)) return;
      event.preventDefault();
      const data = new URLSearchParams(new FormData(form, event.submitter || null));
      if ((form.getAttribute("method") || "get").toLowerCase() === "post") {
        if (url.pathname === "/dashboard/logout") token = null;
        follow(url, { method: "POST", body: data }, "push");
      } else {
        url.search = data.toString();
        follow(url, { method: "GET" }, "push");
      }
    });

    window.addEventListener("popstate", () => {
      follow(new URL(window.location.href), { method: "GET" }, null);
    });

    exchange()
      .then(() => go(new URL(first, window.location.href), { method: "GET" }, "replace"))
      .catch((reason) => fail(String(reason.message || reason)));
  }
})();
