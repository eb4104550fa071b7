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

// Sort forms apply as soon as another order is picked; their Apply button,
// which is what works without JavaScript, is then not needed.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    if (button) { button.hidden = true; }
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { form.submit(); });
    });
  });
})();

// "Add to cart" stays on the product page: the form is posted in the
// background and the page says what was added and shows the new cart
// count. The answer is the cart page the post leads to, whose notice (and
// count) are taken over, so the wording is the server's. Should the post
// fail in any way, the form is sent the ordinary way, which shows the
// error page.
(function () {
  "use strict";
  var form = document.querySelector("form.add");
  var status = document.querySelector('[data-testid="added-notice"]');
  if (!form || !status || !window.fetch || !window.FormData || !window.DOMParser) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("status " + r.status); }
        return r.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var count = page.querySelector('[data-testid="cart-count"]');
        var notice = page.querySelector(".notice");
        var badge = document.querySelector('[data-testid="cart-count"]');
        if (count && badge) { badge.textContent = count.textContent; }
        var link = document.createElement("a");
        link.href = "/cart";
        link.textContent = "View cart";
        status.replaceChildren(document.createTextNode((notice ? notice.textContent : "Added to your cart.") + " "), link);
        button.disabled = false;
      })
      .catch(function () { form.submit(); });
  });
})();
