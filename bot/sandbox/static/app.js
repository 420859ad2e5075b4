// The Linkage sandbox page: draws what the local Bot API server holds, acts as the people.
// Plain JavaScript, no build step; state arrives by server-sent events from /sandbox/api/events.
import { el, formatted } from "./format.js";

const PANES = ["resident", "tourist", "staff", "verifier", "frontdesk"].map((key) => (
  { key, role: `role_${key}`, hint: `hint_${key}` }));

const strings = { en: {}, zh: {} };
let pageLocale = localStorage.getItem("linkage-sandbox-locale") ||
  ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
let state = null;
const panes = {};  // key → { el, chat, topic, follow, replyTo, seen, drawn }

function t(msgid, locale, params) {
  let text = (strings[locale] || {})[msgid] || msgid;
  for (const [name, value] of Object.entries(params || {})) text = text.replace(`{${name}}`, value);
  return text;
}


async function post(path, body) {
  const options = body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

// ---------------------------------------------------------------- panes

function buildPanes() {
  const template = document.getElementById("pane-template");
  const main = document.getElementById("panes");
  for (const spec of PANES) {
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.pane = spec.key;
    main.append(node);
    const pane = { spec, el: node, chat: null, topic: null, follow: true, replyTo: null, seen: {}, drawn: "", stick: true };
    panes[spec.key] = pane;
    wireHead(pane);
    wireMessages(pane);
    wireComposer(pane);
    wirePhotos(pane);
    wireMiniApp(pane);
  }
  window.addEventListener("message", answerMiniApp);
}

// The tourist's and the front desk's Mini Apps, opened in their pane as Telegram would open
// them: the sandbox signs the launch parameters with its own bot token.
function wireMiniApp(pane) {
  if (!["tourist", "frontdesk"].includes(pane.spec.key)) return;
  const button = pane.el.querySelector(".open-miniapp");
  const box = pane.el.querySelector(".miniapp");
  button.hidden = false;
  button.addEventListener("click", async () => {
    if (!box.hidden) { box.hidden = true; box.querySelector("iframe").src = "about:blank"; drawPane(pane); return; }
    try {
      const opened = await post("/sandbox/api/miniapp", { pane: pane.spec.key });
      box.querySelector("iframe").src = opened.url;
      box.hidden = false;
      drawPane(pane);
    } catch (error) {
      showToast(pane, t("not_answering", paneLocale(pane)));
    }
  });
}

// A Mini App asks Telegram for its QR scanner: in the sandbox the desk's camera sees the
// tourist's phone, so the answer is the live code the tourist's Mini App shows now.
async function answerMiniApp(event) {
  const desk = panes.frontdesk && panes.frontdesk.el.querySelector(".miniapp iframe");
  if (!desk || event.source !== desk.contentWindow) return;
  let asked = null;
  try { asked = JSON.parse(event.data); } catch (error) { return; }
  if (!asked || asked.eventType !== "web_app_open_scan_qr_popup") return;
  const answer = await post("/sandbox/api/live-code", {});
  if (!answer.code) { showToast(panes.frontdesk, t("no_live_code", paneLocale(panes.frontdesk)), true); return; }
  desk.contentWindow.postMessage(
    JSON.stringify({ eventType: "qr_text_received", eventData: { data: answer.code } }), "*");
}

function wireHead(pane) {
  const node = pane.el;
  node.querySelectorAll(".switch button").forEach((button) =>
    button.addEventListener("click", () => chooseLanguage(pane.spec.key, button.dataset.locale)));
  node.querySelector(".chat-pick select").addEventListener("change", (event) => {
    pane.chat = Number(event.target.value); pane.topic = null; pane.follow = false;
    draw();
  });
}

// A chat shows its newest message unless the person scrolled up to read older ones.
function wireMessages(pane) {
  const list = pane.el.querySelector(".messages");
  list.addEventListener("scroll", () => {
    pane.stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  });
  new ResizeObserver(() => { if (pane.stick) stickToBottom(pane); }).observe(list);
}

function wireComposer(pane) {
  const node = pane.el;
  node.querySelector(".composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = node.querySelector(".text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    act(pane, "/sandbox/api/send", { text, reply_to: pane.replyTo && pane.replyTo.id });
    setReply(pane, null);
  });
  node.querySelector(".cancel-reply").addEventListener("click", () => setReply(pane, null));
  if (pane.spec.key === "frontdesk") {
    const scan = node.querySelector(".scan");
    scan.hidden = false;
    scan.addEventListener("click", () => toggleCards(pane));
  }
}

// 📎 offers a picture from this computer or a drawn sample; a picture dropped on a pane is sent too.
function wirePhotos(pane) {
  const node = pane.el;
  const photos = node.querySelector(".photos");
  const file = node.querySelector("input.file");
  node.querySelector(".attach").addEventListener("click", () => { photos.hidden = !photos.hidden; });
  node.querySelector(".cancel-photo").addEventListener("click", () => { photos.hidden = true; });
  node.querySelector(".choose-file").addEventListener("click", () => { photos.hidden = true; file.click(); });
  node.querySelector(".sample-photo").addEventListener("click", () => {
    photos.hidden = true;
    act(pane, "/sandbox/api/sample-photo", {});
  });
  file.addEventListener("change", () => {
    const chosen = file.files[0];
    file.value = "";
    if (chosen) sendPhoto(pane, chosen);
  });
  node.addEventListener("dragover", (event) => { event.preventDefault(); node.classList.add("dropping"); });
  node.addEventListener("dragleave", () => node.classList.remove("dropping"));
  node.addEventListener("drop", (event) => {
    event.preventDefault();
    node.classList.remove("dropping");
    const dropped = [...event.dataTransfer.files].find((f) => f.type.startsWith("image/"));
    if (dropped) sendPhoto(pane, dropped);
  });
}

function paneLocale(pane) {
  return (state && state.panes[pane.spec.key].locale) || pageLocale;
}

function currentChat(pane) {
  const chats = state.panes[pane.spec.key].chats;
  if (pane.spec.key === "staff" && pane.follow) {
    const latest = newestChat(chats);
    if (latest) pane.chat = latest.id;
  }
  return chats.find((chat) => chat.id === pane.chat) || chats[0];
}

// The staff pane follows the chat where the bot wrote last, until someone picks one.
function newestChat(chats) {
  let best = null;
  for (const chat of chats) {
    const last = chat.messages[chat.messages.length - 1];
    if (last && (!best || last.date > best.date)) best = { id: chat.id, date: last.date };
  }
  return best;
}

function act(pane, path, extra) {
  const chat = currentChat(pane);
  const body = { pane: pane.spec.key, chat: chat.id, thread: pane.topic, ...extra };
  return post(path, body).catch(() => showToast(pane, t("not_answering", paneLocale(pane))));
}

function sendPhoto(pane, file) {
  const chat = currentChat(pane);
  const form = new FormData();
  form.append("pane", pane.spec.key);
  form.append("chat", String(chat.id));
  if (pane.topic) form.append("thread", String(pane.topic));
  form.append("photo", file);
  post("/sandbox/api/photo", form).catch(() => showToast(pane, t("not_answering", paneLocale(pane))));
}

function setReply(pane, message) {
  pane.replyTo = message;
  const box = pane.el.querySelector(".replying");
  box.hidden = !message;
  if (message) {
    box.querySelector("span").textContent =
      `${t("replying_to", paneLocale(pane), { name: message.from_name })}: ${snippet(message)}`;
    pane.el.querySelector(".text").focus();
  }
}

function snippet(message) {
  const text = message.text || message.caption || "";
  return text.length > 60 ? text.slice(0, 59) + "…" : text;
}

function showToast(pane, text, long) {
  const toast = pane.el.querySelector(".toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(pane.toastTimer);
  pane.toastTimer = setTimeout(() => { toast.hidden = true; }, long ? 6000 : 3000);
}

async function press(pane, message, button) {
  const chat = currentChat(pane);
  try {
    const answer = await post("/sandbox/api/press", {
      pane: pane.spec.key, chat: chat.id, message: message.id, data: button.data,
    });
    if (answer.text) showToast(pane, answer.text, answer.alert);
  } catch (error) {
    showToast(pane, t("button_gone", paneLocale(pane)));
  }
}

async function chooseLanguage(key, locale) {
  await post("/sandbox/api/language", { pane: key, locale });
}

// ---------------------------------------------------------------- drawing

function draw() {
  if (!state) return;
  for (const pane of Object.values(panes)) drawPane(pane);
  drawCalls();
}

function drawPane(pane) {
  const data = state.panes[pane.spec.key];
  const locale = paneLocale(pane);
  const node = pane.el;
  const chat = currentChat(pane);
  pane.chat = chat.id;
  node.lang = locale === "zh" ? "zh-CN" : "en";
  node.querySelector(".role").textContent = t(pane.spec.role, locale);
  node.querySelector(".pane-hint").textContent = t(pane.spec.hint, locale);
  const actor = chat.actor || data.user;
  node.querySelector(".acting").textContent = t("acting_as", locale, { name: actor.first_name });
  node.querySelector(".switch").title = t("person_language", locale);
  node.querySelectorAll(".switch button").forEach((button) =>
    button.classList.toggle("on", button.dataset.locale === data.locale));
  node.querySelector(".text").placeholder = t("placeholder", locale);
  node.querySelector(".send").textContent = t("send", locale);
  node.querySelector(".attach").title = t("send_photo", locale);
  node.querySelector(".choose-file").textContent = "📁 " + t("choose_file", locale);
  node.querySelector(".sample-photo").textContent = "🖼 " + t(
    pane.spec.key === "tourist" ? "sample_selfie" : "sample_photo", locale);
  node.querySelector(".cancel-photo").textContent = t("cancel", locale);
  node.querySelector(".scan").title = t("scan", locale);
  node.querySelector(".open-miniapp").textContent = node.querySelector(".miniapp").hidden
    ? t(pane.spec.key === "frontdesk" ? "open_console" : "open_my_certificate", locale)
    : t("close_miniapp", locale);
  drawChatPicker(pane, data.chats, chat, locale);
  drawTopics(pane, chat, locale);
  const shown = chat.messages.filter((m) => !chat.forum || (m.thread || null) === (pane.topic || null));
  const key = JSON.stringify([locale, chat.id, pane.topic, shown, chat.keyboard, state.verify_base]);
  if (key !== pane.drawn) {
    pane.drawn = key;
    drawKeyboard(pane, chat.keyboard, locale);
    drawMessages(pane, chat, shown, locale);
  }
  if (pane.stick) stickToBottom(pane);
  pane.seen[chat.id] = chat.messages.length;
}

function chatTitle(chat, locale) {
  return chat.title ? (chat.title[locale] || chat.title.en) : "";
}

function drawChatPicker(pane, chats, current, locale) {
  const label = pane.el.querySelector(".chat-pick");
  if (chats.length < 2) { label.hidden = true; return; }
  label.hidden = false;
  label.querySelector(".chat-label").textContent = t("chat", locale);
  const select = label.querySelector("select");
  select.textContent = "";
  for (const chat of chats) {
    if (!(chat.id in pane.seen)) pane.seen[chat.id] = chat.messages.length;
    const fresh = chat.messages.length - pane.seen[chat.id];
    let name = chatTitle(chat, locale) + (chat.forum ? " 🗂" : "");
    if (fresh > 0 && chat.id !== current.id) name += ` · ${t("new_count", locale, { count: fresh })}`;
    const option = el("option", null, name);
    option.value = String(chat.id);
    option.selected = chat.id === current.id;
    select.append(option);
  }
}

function drawTopics(pane, chat, locale) {
  const nav = pane.el.querySelector(".topics");
  nav.hidden = !chat.forum;
  if (!chat.forum) { pane.topic = null; return; }
  if (pane.follow && chat.topics.length) pane.topic = chat.topics[chat.topics.length - 1].id;
  nav.textContent = "";
  const entries = [{ id: null, name: t("general", locale) }, ...chat.topics];
  for (const topic of entries) {
    const button = el("button", "topic" + ((pane.topic || null) === topic.id ? " on" : ""), "# " + topic.name);
    button.type = "button";
    button.addEventListener("click", () => { pane.topic = topic.id; pane.follow = false; draw(); });
    nav.append(button);
  }
}

function drawMessages(pane, chat, messages, locale) {
  const list = pane.el.querySelector(".messages");
  list.textContent = "";
  const me = (chat.actor || state.panes[pane.spec.key].user).id;
  const group = chat.type !== "private";
  for (const message of messages) list.append(messageNode(pane, message, me, group, locale));
  list.querySelectorAll("img").forEach((img) =>
    img.addEventListener("load", () => { if (pane.stick) stickToBottom(pane); }));
}

function stickToBottom(pane) {
  const list = pane.el.querySelector(".messages");
  list.scrollTop = list.scrollHeight;
  pane.stick = true;
}

function messageNode(pane, message, me, group, locale) {
  if (message.service) return el("div", "service", serviceText(message.service, locale));
  const mine = message.from_id === me;
  const row = el("div", "row " + (mine ? "out" : "in"));
  row.dataset.id = message.id;
  const bubble = el("div", "bubble" + (message.from_bot ? " bot" : ""));
  if (group && !mine) bubble.append(el("div", "sender", message.from_name));
  if (message.reply_to) {
    const quote = el("div", "quote");
    quote.append(el("b", null, message.reply_to.name), el("span", null, message.reply_to.snippet));
    bubble.append(quote);
  }
  if (message.photo) bubble.append(photoNode(message, locale));
  if (message.location) {
    const { latitude, longitude } = message.location;
    bubble.append(el("div", "location", `📍 ${t("location", locale)} ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`));
  }
  if (message.contact) {
    bubble.append(el("div", "contact", `👤 ${t("contact", locale)}: ${message.contact.first_name} ${message.contact.phone_number}`));
  }
  if (message.document) {
    const a = el("a", "document", `📄 ${message.document.name}`);
    a.href = `/sandbox/api/file/${encodeURIComponent(message.document.file_id)}`;
    a.target = "_blank";
    bubble.append(a);
  }
  if (message.text !== undefined) bubble.append(formatted(message.text, message.entities));
  if (message.caption !== undefined) bubble.append(formatted(message.caption, message.caption_entities));
  const meta = el("div", "meta");
  const time = new Date(message.date * 1000);
  meta.textContent = time.toLocaleTimeString(locale === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  const reply = el("button", "link reply", t("reply", locale));
  reply.type = "button";
  reply.addEventListener("click", () => setReply(pane, message));
  meta.prepend(reply);
  bubble.append(meta);
  row.append(bubble);
  if (message.buttons && message.buttons.length) row.append(inlineKeyboard(pane, message));
  return row;
}

const SERVICE_TEXTS = {
  forum_topic_created: "topic_created",
  forum_topic_edited: "topic_renamed",
  forum_topic_closed: "topic_closed",
  forum_topic_reopened: "topic_reopened",
};

function serviceText(service, locale) {
  return t(SERVICE_TEXTS[service.kind], locale, { name: service.name });
}

function photoNode(message, locale) {
  const box = el("div", "photo");
  const img = el("img");
  img.src = `/sandbox/api/file/${encodeURIComponent(message.photo)}`;
  img.alt = message.caption || "";
  box.append(img);
  if (message.qr) {
    const [x0, y0, x1, y1] = message.qr.box;
    const link = el("a", "qr");
    link.href = verificationUrl(message.qr.text);
    link.target = "_blank";
    link.rel = "noopener";
    link.title = t("open_verification", locale);
    Object.assign(link.style, {
      left: `${x0 * 100}%`, top: `${y0 * 100}%`,
      width: `${(x1 - x0) * 100}%`, height: `${(y1 - y0) * 100}%`,
    });
    box.append(link);
    box.append(el("div", "qr-hint", t("qr_hint", locale)));
  }
  return box;
}

function verificationUrl(text) {
  return /^https?:\/\//.test(text) ? text : `${state.verify_base}/v/${text}`;
}

function inlineKeyboard(pane, message) {
  const keyboard = el("div", "inline-keyboard");
  for (const row of message.buttons) {
    const line = el("div", "inline-row");
    for (const button of row) {
      let node;
      if (button.url) {
        node = el("a", "inline-button", button.text + " ↗");
        node.href = button.url; node.target = "_blank"; node.rel = "noopener";
      } else {
        node = el("button", "inline-button", button.text);
        node.type = "button";
        node.addEventListener("click", () => press(pane, message, button));
      }
      line.append(node);
    }
    keyboard.append(line);
  }
  return keyboard;
}

function drawKeyboard(pane, rows, locale) {
  const keyboard = pane.el.querySelector(".keyboard");
  keyboard.textContent = "";
  for (const row of rows || []) {
    const line = el("div", "key-row");
    for (const button of row) {
      const node = el("button", "key", button.text);
      node.type = "button";
      node.addEventListener("click", () => {
        if (button.request_location) togglePlaces(pane);
        else if (button.request_contact) act(pane, "/sandbox/api/send", { contact: true });
        else act(pane, "/sandbox/api/send", { text: button.text });
      });
      line.append(node);
    }
    keyboard.append(line);
  }
}

function togglePlaces(pane) {
  const box = pane.el.querySelector(".places");
  if (!box.hidden) { box.hidden = true; return; }
  const locale = paneLocale(pane);
  box.textContent = "";
  box.append(el("div", "popover-title", t("which_place", locale)));
  const share = (latitude, longitude) => {
    box.hidden = true;
    act(pane, "/sandbox/api/send", { location: [latitude, longitude] });
  };
  for (const place of state.places.filter((p) => p.label)) {
    const button = el("button", "place", `📍 ${place.label[locale] || place.label.en}`);
    button.type = "button";
    button.addEventListener("click", () => share(place.latitude, place.longitude));
    box.append(button);
  }
  const free = state.places.find((p) => !p.label);
  const form = el("form", "free-point");
  form.append(el("div", "popover-title", t("elsewhere", locale)));
  const lat = el("input"); lat.value = free.latitude; lat.setAttribute("aria-label", t("latitude", locale));
  const lon = el("input"); lon.value = free.longitude; lon.setAttribute("aria-label", t("longitude", locale));
  const go = el("button", null, t("share_point", locale)); go.type = "submit";
  form.append(lat, lon, go);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    share(Number(lat.value), Number(lon.value));
  });
  box.append(form);
  const cancel = el("button", "link", t("cancel", locale));
  cancel.type = "button";
  cancel.addEventListener("click", () => { box.hidden = true; });
  box.append(cancel);
  box.hidden = false;
}

function allCards() {
  const cards = [];
  for (const data of Object.values(state.panes)) {
    for (const chat of data.chats) {
      for (const message of chat.messages) {
        if (message.qr && !cards.some((c) => c.photo === message.photo)) cards.push(message);
      }
    }
  }
  return cards;
}

function toggleCards(pane) {
  const box = pane.el.querySelector(".cards");
  if (!box.hidden) { box.hidden = true; return; }
  const locale = paneLocale(pane);
  box.textContent = "";
  const cards = allCards();
  box.append(el("div", "popover-title", cards.length
    ? t("which_card", locale)
    : t("no_card", locale)));
  cards.forEach((card, index) => {
    const button = el("button", "card-choice");
    button.type = "button";
    const img = el("img"); img.src = `/sandbox/api/file/${encodeURIComponent(card.photo)}`; img.alt = "";
    button.append(img, el("span", null, t("card_number", locale, { number: index + 1 })));
    button.addEventListener("click", () => {
      box.hidden = true;
      act(pane, "/sandbox/api/scan", { file_id: card.photo });
    });
    box.append(button);
  });
  const cancel = el("button", "link", t("cancel", locale));
  cancel.type = "button";
  cancel.addEventListener("click", () => { box.hidden = true; });
  box.append(cancel);
  box.hidden = false;
}

function chatName(id) {
  for (const data of Object.values(state.panes)) {
    for (const chat of data.chats) {
      if (String(chat.id) === String(id)) {
        return chat.title ? chatTitle(chat, pageLocale) : (data.user ? data.user.first_name : String(id));
      }
    }
  }
  return id === null ? "" : String(id);
}

function drawCalls() {
  const section = document.getElementById("calls");
  section.hidden = !document.getElementById("explain").checked;
  if (section.hidden) return;
  const list = document.getElementById("calls-list");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.textContent = "";
  if (!state.calls.length) list.append(el("p", "hint", t("no_calls", pageLocale)));
  for (const call of state.calls) {
    const line = el("div", "call" + (call.error ? " failed" : ""));
    const time = new Date(call.at * 1000).toLocaleTimeString("en-GB");
    line.append(el("span", "call-time", time), el("span", "call-method", call.method),
      el("span", "call-chat", chatName(call.chat)), el("span", "call-payload", call.payload),
      el("span", "call-result", call.error || (call.markup ? `+ ${call.markup}` : "")));
    list.append(line);
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function drawPage() {
  document.documentElement.lang = pageLocale === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((node) => {
    node.textContent = t(node.dataset.t, pageLocale);
  });
  document.title = t("title", pageLocale);
  document.querySelectorAll("#page-language button").forEach((button) =>
    button.classList.toggle("on", button.dataset.locale === pageLocale));
}

async function setPageLanguage(locale) {
  pageLocale = locale;
  localStorage.setItem("linkage-sandbox-locale", locale);
  drawPage();
  for (const spec of PANES) await chooseLanguage(spec.key, locale);
}

// ---------------------------------------------------------------- start

function listen() {
  const status = document.getElementById("status");
  const events = new EventSource("/sandbox/api/events");
  events.onopen = () => { status.textContent = "● " + t("live", pageLocale); status.className = "status live"; };
  events.onerror = () => { status.textContent = t("reconnecting", pageLocale); status.className = "status down"; };
  events.onmessage = (event) => {
    const next = JSON.parse(event.data);
    if (state && next.generation !== state.generation) {
      for (const pane of Object.values(panes)) {
        Object.assign(pane, { chat: null, topic: null, follow: true, replyTo: null, seen: {}, drawn: "", stick: true });
      }
    }
    state = next;
    draw();
    document.body.dataset.ready = "yes";
  };
}

async function start() {
  const [en, zh] = await Promise.all(["en", "zh"].map((locale) =>
    fetch(`/sandbox/api/strings?locale=${locale}`).then((r) => r.json())));
  Object.assign(strings, { en, zh });
  buildPanes();
  drawPage();
  document.querySelectorAll("#page-language button").forEach((button) =>
    button.addEventListener("click", () => setPageLanguage(button.dataset.locale)));
  document.getElementById("explain").addEventListener("change", drawCalls);
  document.getElementById("reset").addEventListener("click", async (event) => {
    if (!confirm(t("reset_confirm", pageLocale))) return;
    event.target.disabled = true;
    event.target.textContent = t("resetting", pageLocale);
    try { await post("/sandbox/api/reset", {}); } finally {
      event.target.disabled = false;
      event.target.textContent = t("reset", pageLocale);
    }
  });
  document.getElementById("dashboard-link").addEventListener("click", async (event) => {
    // the officer signs in as Telegram's Login Widget would: the sandbox signs the login data
    event.preventDefault();
    const opened = window.open("about:blank", "_blank");
    const { url } = await post("/sandbox/api/dashboard", {});
    if (opened) opened.location = url; else window.location = url;
  });
  listen();
}

start();
