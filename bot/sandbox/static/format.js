// Telegram's message text: entities (bold, links, code…) over UTF-16 offsets, and bare links.
// Offsets are in UTF-16 code units, like JavaScript strings: slices line up as Telegram means.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const ENTITY_TAGS = {
  bold: "strong", italic: "em", underline: "u", strikethrough: "s", code: "code",
  pre: "pre", spoiler: "span", blockquote: "blockquote", expandable_blockquote: "blockquote",
};

function linkify(parent, text) {
  const parts = text.split(/(https?:\/\/[^\s]+)/g);
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      const a = el("a", null, part);
      a.href = part; a.target = "_blank"; a.rel = "noopener";
      parent.append(a);
    } else if (part) {
      parent.append(document.createTextNode(part));
    }
  });
}

export function formatted(text, entities) {
  const root = el("div", "body");
  const sorted = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  function fill(parent, start, end, list) {
    let at = start;
    while (list.length && list[0].offset < end) {
      const entity = list.shift();
      if (entity.offset < at) continue;
      linkify(parent, text.slice(at, entity.offset));
      const inner = [];
      while (list.length && list[0].offset < entity.offset + entity.length) inner.push(list.shift());
      const node = entityNode(entity, text.slice(entity.offset, entity.offset + entity.length));
      fill(node, entity.offset, entity.offset + entity.length, inner);
      parent.append(node);
      at = entity.offset + entity.length;
    }
    linkify(parent, text.slice(at, end));
  }
  function entityNode(entity, slice) {
    if (entity.type === "text_link" || entity.type === "url") {
      const a = el("a");
      a.href = entity.url || slice; a.target = "_blank"; a.rel = "noopener";
      return a;
    }
    const node = el(ENTITY_TAGS[entity.type] || "span", `entity-${entity.type}`);
    return node;
  }
  fill(root, 0, text.length, sorted);
  return root;
}
