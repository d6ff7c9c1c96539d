"""The widget's own texts: how many people wait, in German and English, with the real plural forms.

The widget (src/widget.js) runs under node with just enough of a page to mount it and a stand-in
socket.io client; the office status it shows comes from that stand-in.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from virtual_office.widget.bundle import WIDGET_DIR

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")

PAGE = r"""
const fs = require("fs"), vm = require("vm");
class Node {
  constructor(tag) { this.tagName = tag; this.childNodes = []; this.attributes = {}; this.style = { setProperty() {} };
                     this.dataset = {}; this.own = null; }
  get textContent() { return this.own !== null ? this.own : this.childNodes.map(c => c.textContent).join(""); }
  set textContent(v) { this.own = String(v); this.childNodes = []; }
  appendChild(c) { if (this.own) { this.childNodes = [{ textContent: this.own }]; } this.own = null;
                   this.childNodes.push(c); c.parentNode = this; return c; }
  insertBefore(c) { return this.appendChild(c); }
  removeChild(c) { this.childNodes = this.childNodes.filter(x => x !== c); return c; }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  removeAttribute(k) { delete this.attributes[k]; }
  addEventListener() {}
  focus() {}
  contains() { return true; }
  attachShadow() { return this.shadow = new Node("#shadow"); }
  all() { return [this, ...this.childNodes.flatMap(c => c instanceof Node ? c.all() : []), ...(this.shadow ? this.shadow.all() : [])]; }
}
const body = new Node("body"), head = new Node("head");
const handlers = [];
const document = {
  body, head, readyState: "complete", baseURI: "https://city.example/", currentScript: null,
  documentElement: { getAttribute: () => "de" },
  createElement: tag => new Node(tag), createTextNode: text => ({ textContent: String(text) }),
  getElementsByTagName: () => [], addEventListener() {}, querySelector: () => null,
};
const window = {
  io() { const on = {}; handlers.push(on); return { on(name, fn) { on[name] = fn; }, active: true, connect() {}, disconnect() {} }; },
  addEventListener() {}, removeEventListener() {},
};
const context = { window, document, performance: { mark() {} }, console, setTimeout, clearTimeout, URL, Date, Math, JSON };
context.window = Object.assign(context, window);
vm.createContext(context);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"), context);
const counts = JSON.parse(process.argv[2]);
const out = {};
for (const lang of ["de", "en"]) {
  const script = new Node("script");
  script.src = "https://office.example/widget.js";
  script.dataset = { lang };
  body.appendChild(script);
  const widget = context.VirtualOffice.mount(script);
  const on = handlers[handlers.length - 1];
  on.offices({ offices: counts.map((n, i) => ({ id: "o" + i, name: "Amt " + i, status: "open", waiting: n, can_join: true,
                                                 hours_today: [["08:00", "16:00"]], estimate: null })) });
  out[lang] = widget.host.all().filter(node => node.attributes["class"] === "waiting").map(node => node.textContent);
}
process.stdout.write(JSON.stringify(out));
"""

COUNTS = (0, 1, 2, 5, 21)


def test_widget_says_how_many_wait_in_both_languages() -> None:
    result = subprocess.run(["node", "-e", PAGE, str(WIDGET_DIR / "src" / "widget.js"), json.dumps(COUNTS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "de": ["Niemand wartet", "1 Person wartet", "2 Personen warten", "5 Personen warten", "21 Personen warten"],
        "en": ["Nobody waiting", "1 person waiting", "2 people waiting", "5 people waiting", "21 people waiting"],
    }
