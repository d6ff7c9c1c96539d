/* The exchange panel's fees (templates/visit/_payments.html): staff choose fees from the office's
 * catalogue (or a free amount) and ask for them; both sides see every payment of the visit and how
 * it stands, pushed live by the server (`payment`); the citizen pays on the platform's page, which
 * opens in a new tab, or by transfer with the GiroCode shown here. Amounts are the server's: this
 * page sends fee ids only (and a clerk's free amount), and the citizen's page sends nothing but
 * "try again". Runs before exchange_connection.js, which calls X.paymentsConnected with the socket
 * and X.loadPayments after everything else is loaded. */
(function (VO, X) {
  "use strict";

  if (!X) return;
  var $ = VO.$;
  var t = X.t;
  var section = $("payments");
  if (!section) return;
  var payments = {};   // id -> the payment as last heard
  var catalogue = null;
  var draft = [];      // staff: the charges to ask for [{fee, quantity, purpose?, amount?, name, cents}]

  /* 1300 -> "13,00 €" (German) or "€13.00" (English), as the server writes it (payments/money.py). */
  X.money = function (cents) {
    var whole = Math.floor(Math.abs(cents) / 100), fraction = String(Math.abs(cents) % 100);
    if (fraction.length < 2) fraction = "0" + fraction;
    var sign = cents < 0 ? "-" : "";
    if (X.lang === "en") return sign + "€" + whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + fraction;
    return sign + whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".") + "," + fraction + " €";
  };
  function feeName(item) { return (X.lang === "en" && item.name_en) ? item.name_en : item.name; }
  function stateText(p) { return t("payments.state." + p.state); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function show() {
    var any = Object.keys(payments).length > 0;
    section.hidden = !(any || (X.staff() && catalogue));
    var empty = $("payments-list").querySelector(".exchange-empty");
    if (empty) empty.hidden = any;
  }

  /* ---------- one payment, as both sides see it ---------- */

  function render(p) {
    var li = el("li", "payment");
    li.id = "payment-" + p.id;
    li.setAttribute("data-state", p.state);
    var lines = el("ul", "payment-lines");
    (p.lines || []).forEach(function (line) {
      var name = (line.quantity > 1 ? line.quantity + " × " : "") + feeName(line);
      lines.appendChild(el("li", "", name + ": " + X.money(line.amount * line.quantity)));
    });
    li.appendChild(lines);
    li.appendChild(el("p", "payment-total", t("payments.total", { amount: X.money(p.total) })));
    if (p.reference) li.appendChild(el("p", "payment-reference muted", t("payments.reference", { reference: p.reference })));
    var state = el("p", "payment-state", t("payments.status", { state: stateText(p) }));
    state.setAttribute("data-state", p.state);
    li.appendChild(state);
    if (p.error && (p.state === "creating" || p.state === "open")) li.appendChild(el("p", "notice", t("payments.pending_error")));
    else if (p.error && p.state === "failed" && p.error !== "payment_failed") li.appendChild(el("p", "field-error", t("payments.refused", { code: p.error })));
    if (!X.staff() && p.state === "open" && p.pay_url) {
      var pay = el("a", "button primary payment-pay");
      pay.href = p.pay_url;
      pay.target = "_blank";
      pay.rel = "noopener";
      pay.appendChild(document.createTextNode(t("payments.pay") + " "));
      pay.appendChild(el("span", "visually-hidden", t("payments.pay_hint")));
      li.appendChild(pay);
    } else if (X.staff() && p.state === "open") {
      li.appendChild(el("p", "hint", t("payments.waiting_citizen")));
    }
    if (p.state === "transfer_requested" && p.instructions && p.instructions.iban) li.appendChild(transfer(p));
    if (p.retry && !X.over) {
      var retry = el("button", "payment-retry", t("payments.retry"));
      retry.type = "button";
      retry.addEventListener("click", function () {
        retry.disabled = true;
        X.call("payment_retry", { transaction_id: p.id }, function (answer) {
          retry.disabled = false;
          if (answer.ok) X.setPayment(answer.payment, true);
          else X.say(answer.message || t("failed"));
        });
      });
      li.appendChild(retry);
    }
    return li;
  }

  /* A GiroCode transfer: the code, and each field spelled out for people who type them. */
  function transfer(p) {
    var box = el("div", "payment-transfer");
    var i = p.instructions;
    if (!X.staff()) {
      box.appendChild(el("p", "", t("payments.transfer")));
      if (p.girocode) {
        var img = el("img", "payment-girocode");
        img.src = p.girocode;
        img.alt = t("payments.girocode", { amount: X.money(p.total) });
        box.appendChild(img);
      }
    }
    var facts = el("dl", "payment-facts");
    [["recipient", i.recipient], ["iban", i.iban.replace(/(.{4})/g, "$1 ").trim()], ["bic", i.bic],
     ["amount", X.money(p.total)], ["text", i.text]].forEach(function (row) {
      if (!row[1]) return;
      var div = el("div");
      div.appendChild(el("dt", "", t("payments." + row[0])));
      var dd = el("dd", "", row[1]);
      dd.setAttribute("data-field", row[0]);
      div.appendChild(dd);
      facts.appendChild(div);
    });
    box.appendChild(facts);
    return box;
  }

  /* A payment arrived (pushed, answered, or loaded); live: say what changed. */
  X.setPayment = function (p, live) {
    if (!p || !p.id) return;
    var before = payments[p.id];
    payments[p.id] = p;
    var node = render(p);
    var old = document.getElementById("payment-" + p.id);
    var hadFocus = old && old.contains(document.activeElement);
    if (old) old.parentNode.replaceChild(node, old);
    else $("payments-list").appendChild(node);
    if (hadFocus) {
      var next = node.querySelector("a, button") || node.querySelector(".payment-state");
      if (!next.hasAttribute("tabindex") && next.tagName === "P") next.setAttribute("tabindex", "-1");
      next.focus();
    }
    show();
    if (live && (!before || before.state !== p.state)) {
      var text = t("payments.announce", { amount: X.money(p.total), state: stateText(p) });
      X.say(text);
      X.notify(text, node);
    }
  };

  /* ---------- staff: choosing fees ---------- */

  function fillCatalogue() {
    var select = $("payments-fee");
    select.textContent = "";
    (catalogue.fees || []).forEach(function (fee) {
      var option = el("option", "", t("payments.fee_option", { name: feeName(fee), amount: X.money(fee.amount) }));
      option.value = fee.id;
      select.appendChild(option);
    });
    if (catalogue.free_amount) {
      var free = el("option", "", t("payments.free"));
      free.value = "free";
      select.appendChild(free);
    }
    freeShown();
  }
  function freeShown() { $("payments-free").hidden = $("payments-fee").value !== "free"; }
  $("payments-fee").addEventListener("change", freeShown);

  /* "13,50", "13.50", "13" -> cents; NaN otherwise (the server checks again). */
  function cents(text) {
    var m = String(text).trim().replace(/\s*€$/, "").match(/^(\d{1,6})(?:[,.](\d{1,2}))?$/);
    if (!m) return NaN;
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }

  function showDraft() {
    var list = $("payments-draft");
    list.textContent = "";
    var sum = 0;
    draft.forEach(function (item, index) {
      var name = (item.quantity > 1 ? item.quantity + " × " : "") + item.name;
      var li = el("li", "", name + ": " + X.money(item.cents * item.quantity) + " ");
      var remove = el("button", "link-button", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", t("payments.remove", { name: item.name }));
      remove.addEventListener("click", function () {
        draft.splice(index, 1);
        showDraft();
        $("payments-fee").focus();
      });
      li.appendChild(remove);
      list.appendChild(li);
      sum += item.cents * item.quantity;
    });
    $("payments-draft-total").textContent = draft.length ? t("payments.total", { amount: X.money(sum) }) : "";
  }

  $("payments-add").addEventListener("click", function () {
    var id = $("payments-fee").value;
    var quantity = Math.max(1, Math.min(99, parseInt($("payments-quantity").value, 10) || 1));
    var item;
    if (id === "free") {
      var purpose = $("payments-purpose").value.trim(), amount = cents($("payments-amount").value);
      if (!purpose || !(amount >= 1) || amount > catalogue.free_amount_max) {
        X.showError("payments-error", t("payments.free_invalid", { max: X.money(catalogue.free_amount_max) }));
        return;
      }
      item = { fee: "free", quantity: quantity, purpose: purpose, amount: $("payments-amount").value.trim(), name: purpose, cents: amount };
    } else {
      var fee = (catalogue.fees || []).filter(function (f) { return f.id === id; })[0];
      if (!fee) return;
      item = { fee: id, quantity: quantity, name: feeName(fee), cents: fee.amount };
    }
    X.showError("payments-error", "");
    draft.push(item);
    showDraft();
    X.say(t("payments.added", { name: item.name }));
  });

  $("payments-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!draft.length) { X.showError("payments-error", t("payments.draft_empty")); return; }
    var charges = draft.map(function (item) {
      var charge = { fee: item.fee, quantity: item.quantity };
      if (item.fee === "free") { charge.purpose = item.purpose; charge.amount = item.amount; }
      return charge;
    });
    var button = $("payments-request");
    button.disabled = true;
    X.call("payment_request", { charges: charges }, function (answer) {
      button.disabled = false;
      if (!answer.ok) { X.showError("payments-error", answer.message || t("failed")); return; }
      X.showError("payments-error", "");
      draft = [];
      showDraft();
      X.setPayment(answer.payment, true);
    });
  });

  /* ---------- loading and the live push ---------- */

  X.paymentsConnected = function (socket) {
    socket.on("payment", function (p) { X.setPayment(p, true); });
  };
  X.loadPayments = function () {
    X.call("payments", {}, function (answer) {
      if (!answer.ok) return;
      payments = {};
      X.clearList("payments-list");
      catalogue = answer.catalogue && answer.catalogue.ready ? answer.catalogue : null;
      if (X.staff()) {
        $("payments-form").hidden = !catalogue;
        $("payments-unavailable").hidden = !!catalogue || !answer.catalogue;
        if (catalogue) fillCatalogue();
      }
      (answer.payments || []).forEach(function (p) { X.setPayment(p, false); });
      show();
    });
  };
})(window.VO, window.VO.exchange);
