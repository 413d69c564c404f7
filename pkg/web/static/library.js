// paperlens library: the papers a reader saves, kept in this browser's
// localStorage (key "paperlens.library") and nowhere else; the server keeps
// nothing and there is no account.
//
// On every page it gives each paper shown (an element with data-id: a
// search hit, the paper of /papers/{id}, an entry of the library page)
// "Add to my library" and "Not interested" buttons, and shows the header's
// "My library" link. That link opens /library?paper=ID&…&not=ID, which the
// server renders as the papers like the saved ones and unlike the others
// (POST /v1/recommend's ranking); its address holds the newest 100 of each,
// the most a ranking takes. The library page also gets a button that copies
// its Atom feed's address. Without JavaScript, or without localStorage,
// there is no library, and the pages work as they are.
(() => {
  "use strict";

  const KEY = "paperlens.library";
  const MAX = 100; // search.MaxExamples

  let storage;
  try {
    storage = window.localStorage;
    storage.setItem(KEY + ".probe", "1");
    storage.removeItem(KEY + ".probe");
  } catch (_) {
    return; // storage is off: no library
  }

  // load reads the library: {saved: [id…], not: [id…]}, newest first, each
  // id once and on one side only.
  function load() {
    let v = null;
    try {
      v = JSON.parse(storage.getItem(KEY) || "null");
    } catch (_) {
      v = null; // not ours, or damaged: start again
    }
    const list = (a) => (Array.isArray(a) ? [...new Set(a.filter((x) => typeof x === "string" && x !== ""))] : []);
    const saved = list(v && v.saved);
    return { saved, not: list(v && v.not).filter((id) => !saved.includes(id)) };
  }

  function store(lib) {
    try {
      storage.setItem(KEY, JSON.stringify({ v: 1, saved: lib.saved, not: lib.not }));
      return true;
    } catch (_) {
      return false; // over the quota
    }
  }

  const here = new URLSearchParams(location.search);
  const page = document.querySelector("[data-library-page]");

  // address is the library page of lib; on that page it keeps the order
  // and the day the reader chose.
  function address(lib) {
    const q = new URLSearchParams();
    lib.saved.slice(0, MAX).forEach((id) => q.append("paper", id));
    lib.not.slice(0, MAX).forEach((id) => q.append("not", id));
    if (page) {
      for (const k of ["sort", "since"]) {
        if (here.get(k)) q.set(k, here.get(k));
      }
    }
    const s = q.toString();
    return "/library" + (s ? "?" + s : "");
  }

  if (page) {
    const lib = load();
    if (!here.has("paper") && !here.has("not") && (lib.saved.length || lib.not.length)) {
      location.replace(address(lib));
      return;
    }
  }

  // The one place that tells a screen reader what a button did.
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  document.body.append(status);
  function say(text) {
    status.textContent = text;
  }

  const items = () => document.querySelectorAll(".hit[data-id], article.paper[data-id], .shelf-item[data-id]");

  function titleOf(item) {
    const t = item.querySelector(".title, h1");
    return t ? t.textContent.trim() : item.dataset.id;
  }

  function button(kind) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "lib lib-" + kind;
    b.dataset.library = kind;
    return b;
  }

  for (const item of items()) {
    // A hit's buttons join its links; a paper's page gives them a line.
    let actions = item.matches("article") ? null : item.querySelector(".actions");
    if (!actions) {
      actions = document.createElement("p");
      actions.className = "actions";
      item.append(actions);
    }
    actions.append(button("save"), button("not"));
  }

  // The library page says when its list is no longer the reader's library.
  let notice = null;
  if (page) {
    notice = document.createElement("p");
    notice.className = "message library-notice";
    notice.setAttribute("role", "status");
    notice.hidden = true;
    page.querySelector("h1").after(notice);
  }

  const sameSet = (a, b) => a.length === b.length && a.every((x) => b.includes(x));

  // render shows the library on the page: each paper's buttons, the
  // header's link, and on the library page whether it is current.
  function render() {
    const lib = load();
    for (const item of items()) {
      const id = item.dataset.id;
      const saved = lib.saved.includes(id);
      const not = lib.not.includes(id);
      item.classList.toggle("saved", saved);
      item.classList.toggle("dismissed", not);
      const s = item.querySelector("[data-library=save]");
      const n = item.querySelector("[data-library=not]");
      s.textContent = saved ? "Remove from my library" : "Add to my library";
      n.textContent = not ? "Undo “not interested”" : "Not interested";
      s.classList.toggle("on", saved);
      n.classList.toggle("on", not);
    }
    const link = document.querySelector(".library-link");
    if (link) {
      link.href = address(lib);
      link.textContent = lib.saved.length ? "My library (" + lib.saved.length + ")" : "My library";
      link.hidden = false;
    }
    if (page) {
      const empty = page.querySelector("[data-library-empty]");
      if (empty) empty.hidden = lib.saved.length > 0 || lib.not.length > 0;
      const current = sameSet(here.getAll("paper"), lib.saved.slice(0, MAX)) && sameSet(here.getAll("not"), lib.not.slice(0, MAX));
      notice.hidden = current;
      if (!current) {
        const a = document.createElement("a");
        a.href = address(lib);
        a.textContent = "Show the papers like my library as it is now";
        notice.replaceChildren("This page does not show your library as it is now. ", a);
      }
    }
  }

  document.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-library]");
    if (!b) return;
    const item = b.closest("[data-id]");
    const id = item.dataset.id;
    const lib = load();
    const saving = b.dataset.library === "save";
    const [mine, other] = saving ? [lib.saved, lib.not] : [lib.not, lib.saved];
    const at = mine.indexOf(id);
    if (at >= 0) {
      mine.splice(at, 1);
    } else {
      mine.unshift(id);
      if (other.includes(id)) other.splice(other.indexOf(id), 1);
    }
    if (!store(lib)) {
      say("Your browser’s storage is full, so your library was not changed.");
      return;
    }
    render();
    const title = "“" + titleOf(item) + "”";
    if (saving) say(at >= 0 ? "Removed " + title + " from your library." : "Saved " + title + " to your library.");
    else say(at >= 0 ? title + " is no longer marked “not interested”." : "Marked " + title + " as not interested.");
  });

  // Another tab changed the library.
  addEventListener("storage", (e) => {
    if (e.key === KEY || e.key === null) render();
  });

  for (const b of document.querySelectorAll("button[data-copy]")) {
    const input = document.getElementById(b.dataset.copy);
    if (!input) continue;
    const said = b.closest("section").querySelector(".copy-status") || status;
    input.addEventListener("focus", () => input.select());
    b.addEventListener("click", async () => {
      let copied = false;
      try {
        await navigator.clipboard.writeText(input.value);
        copied = true;
      } catch (_) {
        input.select(); // no clipboard API outside https and localhost
        try {
          copied = document.execCommand("copy");
        } catch (_) {
          copied = false;
        }
      }
      said.textContent = copied ? "Copied the feed’s address." : "Copy the selected address with Ctrl+C (⌘C on a Mac).";
      if (!copied) input.focus();
    });
    b.hidden = false;
  }

  render();
})();
