// Sections read after the page is shown (a traveller's network: three hops of the store): the page does not
// wait for them. Without scripts, the section's link opens the same content as a page of its own.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-fragment]"), function (section) {
    fetch(section.getAttribute("data-fragment"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("status " + answer.status); }
        return answer.text();
      })
      .then(function (html) { section.outerHTML = html; })
      .catch(function () {
        var note = document.createElement("p");
        note.textContent = "This section could not be read: open it with the link above.";
        section.appendChild(note);
      });
  });
}());
