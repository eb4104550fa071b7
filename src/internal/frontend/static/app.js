// Autocomplete for the search box: suggestions from /suggest fill the
// input's <datalist>. Without JavaScript the box is a plain search form.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (!input || !list || !window.fetch) { return; }
  var timer = null;
  var last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last) { return; }
      last = q;
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (body) {
          list.replaceChildren();
          (body.suggestions || []).forEach(function (s) {
            var opt = document.createElement("option");
            opt.value = s.name;
            list.appendChild(opt);
          });
        })
        .catch(function () { list.replaceChildren(); });
    }, 150);
  });
})();
