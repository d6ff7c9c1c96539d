// The bot check's widget for a page of ours: <altcha-widget challenge="/api/botcheck"> in a form,
// with <link rel="stylesheet" href="/static/vendor/altcha/altcha.css"> and this module
// (<script type="module" src="/static/botcheck.js">). The vendored build inlines no worker, so
// the proof of work runs in the worker file beside it, from our own origin (script-src 'self').
import "/static/vendor/altcha/altcha.min.js";
import "/static/vendor/altcha/de.js";

globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker("/static/vendor/altcha/pbkdf2.js"));
