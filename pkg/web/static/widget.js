// paperlens related-papers widget.
//
//   <script src="http://HOST/widget.js" defer></script>
//   <paperlens-related paper="2509.03687" limit="5"></paperlens-related>
//   <paperlens-related papers="2509.03687,2510.01234"></paperlens-related>
//
// Attributes: paper (a paper id: the papers like it, GET
// /v1/papers/{id}/similar), papers (a reading list, ids separated by commas
// or spaces, at most 100: the papers like all of them, POST /v1/recommend,
// none of the list among them), text (papers like this text, POST
// /v1/similar), limit (1-20, default 5), theme ("light" or "dark"). When
// several are set, papers wins, then text, then paper. The element asks the
// server this script came from, so a site on another origin must be allowed
// by that server's --cors-origin. It renders into an open shadow root, and
// never throws: a failure is a one-line message in the box.
(() => {
  "use strict";

  // The API lives where this script was loaded from. document.currentScript
  // is only set while the script first runs, so read it now.
  const script = document.currentScript;
  const origin = script && script.src ? new URL(script.src, document.baseURI).origin : location.origin;
  const CSS = "__WIDGET_CSS__";
  const DEFAULT_LIMIT = 5;
  const MAX_LIMIT = 20;

  let sheet = null;
  function adoptStyles(root) {
    try {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sheet];
    } catch (_) {
      const style = document.createElement("style");
      style.textContent = CSS;
      root.appendChild(style);
    }
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // listOf reads the papers attribute: ids separated by commas or spaces,
  // each once.
  function listOf(value) {
    return [...new Set((value || "").split(/[\s,]+/).filter((id) => id !== ""))];
  }

  function limitOf(value) {
    const n = parseInt(value || "", 10);
    if (!Number.isFinite(n) || n < 1) return DEFAULT_LIMIT;
    return Math.min(n, MAX_LIMIT);
  }

  class PaperlensRelated extends HTMLElement {
    static get observedAttributes() {
      return ["paper", "papers", "limit", "text", "theme"];
    }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      adoptStyles(this.shadowRoot);
      this._box = el("section", "plr");
      this._box.setAttribute("part", "box");
      this._title = el("h2", "plr-title", "Related papers");
      this._body = el("div", "plr-body");
      this._box.append(this._title, this._body);
      this.shadowRoot.appendChild(this._box);
      this._request = null;
      this._queued = false;
    }

    connectedCallback() {
      this._schedule();
    }

    disconnectedCallback() {
      if (this._request) this._request.abort();
    }

    attributeChangedCallback() {
      if (this.isConnected) this._schedule();
    }

    /** state is "loading", "ready" or "error". */
    get state() {
      return this._box.dataset.state || "loading";
    }

    // Several attributes set together make one request.
    _schedule() {
      if (this._queued) return;
      this._queued = true;
      queueMicrotask(() => {
        this._queued = false;
        this._load().catch(() => this._message("Related papers are unavailable right now."));
      });
    }

    _setState(state) {
      this._box.dataset.state = state;
      this.dispatchEvent(new CustomEvent("paperlens-" + state, { bubbles: true }));
    }

    _placeholder() {
      this._body.replaceChildren();
      const p = el("div", "plr-placeholder");
      p.setAttribute("aria-busy", "true");
      p.setAttribute("aria-label", "Loading related papers");
      p.append(el("span", "plr-skeleton"), el("span", "plr-skeleton"), el("span", "plr-skeleton"));
      this._body.append(p);
      this._setState("loading");
    }

    _message(text) {
      this._body.replaceChildren(el("p", "plr-message", text));
      this._setState("error");
    }

    async _load() {
      this._box.dataset.theme = this.getAttribute("theme") === "dark" ? "dark" : "light";
      const id = (this.getAttribute("paper") || "").trim();
      const text = (this.getAttribute("text") || "").trim();
      const list = listOf(this.getAttribute("papers"));
      const limit = limitOf(this.getAttribute("limit"));
      if (!id && !text && list.length === 0) {
        this._message("No related papers: the box names no paper.");
        return;
      }
      if (this._request) this._request.abort();
      const request = new AbortController();
      this._request = request;
      this._placeholder();

      let url = origin + "/v1/papers/" + encodeURIComponent(id) + "/similar?limit=" + limit;
      let init = { mode: "cors", credentials: "omit", signal: request.signal };
      const post = (path, body) => {
        url = origin + path;
        init = Object.assign(init, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      };
      if (list.length > 0) post("/v1/recommend", { positive: list, limit: limit });
      else if (text) post("/v1/similar", { text: text, limit: limit });
      let answer;
      try {
        const resp = await fetch(url, init);
        if (request !== this._request) return;
        if (resp.status === 404) {
          this._message(list.length > 0 ? "No related papers: a paper of the list is not in the index." : "No related papers: this paper is not in the index.");
          return;
        }
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        answer = await resp.json();
      } catch (err) {
        if (request !== this._request) return; // a newer request replaced this one
        this._message("Related papers are unavailable right now.");
        return;
      }
      if (request !== this._request) return;
      const hits = (answer && Array.isArray(answer.results)) ? answer.results : [];
      if (hits.length === 0) {
        this._message("No related papers yet.");
        return;
      }
      this._render(hits);
    }

    _render(hits) {
      const list = el("ol", "plr-list");
      for (const hit of hits) {
        const li = el("li");
        const a = el("a", "", String(hit.title || hit.id || ""));
        a.href = safeLink(hit.url) || origin + "/papers/" + encodeURIComponent(String(hit.id || ""));
        li.append(a);
        const authors = Array.isArray(hit.authors) ? hit.authors : [];
        const meta = [];
        if (authors.length) meta.push(authors.slice(0, 2).join(", ") + (authors.length > 2 ? " et al." : ""));
        if (hit.published) meta.push(String(hit.published).slice(0, 4));
        if (meta.length) li.append(el("span", "plr-meta", meta.join(" · ")));
        list.append(li);
      }
      const by = el("p", "plr-by");
      const home = el("a", "", "paperlens");
      home.href = origin + "/";
      by.append(home);
      this._body.replaceChildren(list, by);
      this._setState("ready");
    }
  }

  // safeLink keeps only http(s) links: a stored url is data, not code.
  function safeLink(url) {
    if (!url) return "";
    try {
      const u = new URL(String(url));
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : "";
    } catch (_) {
      return "";
    }
  }

  if (!customElements.get("paperlens-related")) {
    customElements.define("paperlens-related", PaperlensRelated);
  }
})();
