// The view counter ("Lượt xem"): records this visit with Gazette's API and
// shows the count. Deferred and optional: with scripts blocked, or the API
// away, the page reads the same and the counter simply stays hidden.
(function () {
  "use strict";
  var box = document.querySelector("[data-views]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-views");
  function show() {
    fetch(url, { credentials: "omit" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) {
        if (body && typeof body.views === "number") {
          box.querySelector(".views-count").textContent = body.views.toLocaleString("vi-VN");
          box.hidden = false;
        }
      })
      .catch(function () {});
  }
  function visit() {
    // The beacon first, so the count read back includes this visit.
    fetch(url, { method: "POST", credentials: "omit", keepalive: true })
      .catch(function () {})
      .then(show);
  }
  // A prerendered page is not a visit until the reader sees it.
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", visit, { once: true });
  } else {
    visit();
  }
})();
