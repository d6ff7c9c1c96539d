/* Colleagues in the visit: the serving clerk adds one (an invitation) and lets a guest go. */
(function (VO, V) {
  "use strict";

  var $ = VO.$;
  var t = V.t;

  V.loadColleagues = function () {
    if (V.me.role !== "clerk") return;
    V.call("colleagues").then(function (answer) {
      if (!answer.ok) return;
      var select = $("colleague-choice");
      var chosen = select.value;
      select.textContent = "";
      answer.colleagues.filter(function (c) { return !c.invited; }).forEach(function (c) {
        var option = document.createElement("option");
        option.value = c.id;
        option.textContent = c.name;
        option.selected = c.id === chosen;
        select.appendChild(option);
      });
      $("invite").disabled = !select.options.length;
      select.disabled = !select.options.length;
    });
  };

  V.renderGuests = function () {
    var list = $("guest-list");
    list.textContent = "";
    Object.keys(V.people).forEach(function (participant) {
      var person = V.people[participant];
      if (person.role !== "guest") return;
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = person.name;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = t("dismiss");
      button.setAttribute("aria-label", t("dismiss.label", { name: person.name }));
      button.addEventListener("click", function () {
        V.call("dismiss", { clerk_id: participant.replace(/^clerk:/, "") }).then(function (answer) {
          if (answer.ok) V.announce(t("dismissed", { name: person.name }));
          else V.showError(answer.message);
        });
      });
      li.appendChild(name);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(button);
      list.appendChild(li);
    });
  };

  $("invite").addEventListener("click", function () {
    var select = $("colleague-choice");
    var id = select.value;
    if (!id) return;
    var name = select.options[select.selectedIndex].textContent;
    V.call("invite", { clerk_id: id }).then(function (answer) {
      if (answer.ok) V.announce(t("invited", { name: name }));
      else V.showError(answer.message);
    });
  });
})(window.VO, window.VO.visit);
