// The portal's only script (served as a file: the Content-Security-Policy allows no inline
// script). It shows the copy buttons of the show-once pages and copies the text they name.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Copy failed: select the text and copy it"; }
      );
    });
  });
});
