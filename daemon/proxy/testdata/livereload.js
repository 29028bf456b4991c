// Runs the injected live-reload script (read from stdin, served with version
// token "T1") in a minimal browser-like environment and checks how it reacts to
// the /__ginhot/events stream. Exits non-zero on the first failed check.
const assert = require("assert");
const fs = require("fs");
const vm = require("vm");

const html = fs.readFileSync(0, "utf8");
const src = html.replace(/^<script>/, "").replace(/<\/script>$/, "");
assert.notStrictEqual(src, html, "input is not a <script> element");

// browser runs the script in a fresh page; stored is the sessionStorage value
// left by an earlier reload.
function browser(stored) {
  const storage = new Map(stored ? [["__ginhot_reloaded", stored]] : []);
  const listeners = {};
  const page = { reloads: 0, sources: [], body: null };
  class Element {
    constructor(tag) { this.tag = tag; this.style = {}; this.children = []; this.textContent = ""; }
    append(...c) { this.children.push(...c); }
    appendChild(c) { this.children.push(c); }
    remove() { page.body.children = page.body.children.filter((c) => c !== this); }
  }
  page.body = new Element("body");
  const ctx = {
    window: {},
    sessionStorage: {
      getItem: (k) => (storage.has(k) ? storage.get(k) : null),
      setItem: (k, v) => storage.set(k, String(v)),
    },
    location: { reload() { page.reloads++; } },
    document: { body: page.body, documentElement: page.body, createElement: (t) => new Element(t) },
    EventSource: class {
      constructor(url) { page.sources.push(url); }
      addEventListener(name, f) { listeners[name] = f; }
    },
  };
  vm.createContext(ctx);
  page.run = () => vm.runInContext(src, ctx);
  page.run();
  // emit delivers a server event; without data it is EventSource's own
  // connection "error" Event.
  page.emit = (name, data) => listeners[name](data === undefined ? { type: name } : { type: name, data });
  page.storage = storage;
  return page;
}

let p = browser();
assert.deepStrictEqual(p.sources, ["/__ginhot/events"]);
p.run();
assert.strictEqual(p.sources.length, 1, "a second copy of the script opened another stream");

p = browser();
p.emit("hello", "T1");
assert.strictEqual(p.reloads, 0, "reloaded although the page is current");

p = browser();
p.emit("hello", "T2");
assert.strictEqual(p.reloads, 1, "did not reload a page older than the serving version");
assert.strictEqual(p.storage.get("__ginhot_reloaded"), "T2");

p = browser("T2"); // the reload came back with the cached (old) page
p.emit("hello", "T2");
assert.strictEqual(p.reloads, 0, "reload loop on a cached page");

p = browser();
p.emit("reload", "T3");
assert.strictEqual(p.reloads, 1, "reload event did not reload");

p = browser();
p.emit("error", "main.go:3:1: <b>bad</b>\nnext line");
assert.strictEqual(p.reloads, 0, "error event reloaded the page");
assert.strictEqual(p.body.children.length, 1, "no overlay");
const overlay = p.body.children[0];
const texts = overlay.children.map((c) => c.textContent);
assert.ok(texts.includes("main.go:3:1: <b>bad</b>\nnext line"), "overlay lacks the error text: " + texts);
assert.match(overlay.style.cssText, /position:fixed/);
assert.match(overlay.style.cssText, /monospace/);
p.emit("error"); // connection lost: keep the overlay, do not add one
assert.deepStrictEqual(p.body.children, [overlay]);
p.emit("error", "second failure");
assert.strictEqual(p.body.children.length, 1, "overlays pile up");
p.emit("ok");
assert.strictEqual(p.body.children.length, 0, "ok did not remove the overlay");

p = browser();
p.emit("error", "x");
p.body.children[0].children.find((c) => c.tag === "button").onclick();
assert.strictEqual(p.body.children.length, 0, "the dismiss button did not remove the overlay");

p = browser();
p.emit("error");
assert.strictEqual(p.body.children.length, 0, "a connection error drew an overlay");

console.log("ok");
