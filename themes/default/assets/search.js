// The search page: queries the site's static Pagefind index in the browser,
// with no server but the one serving files. Tone marks are optional on
// both sides ("ha noi" finds "Hà Nội"); the index is built by Gazette's
// indexer (crates/gazette-search).
(function () {
  "use strict";
  var form = document.querySelector("[data-search]");
  if (!form || !window.fetch) {
    return;
  }
  var input = form.querySelector("input[name=q]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var SHOWN = 20;
  var engine = null;

  // The index is split into parts, one a year, each a whole Pagefind
  // index in its own folder; parts.json names them newest first. The
  // newest part's Pagefind searches them all, the others merged into it.
  var PART = /^[a-z0-9-]+$/;
  function pagefind() {
    if (!engine) {
      engine = fetch("/pagefind/parts.json", { cache: "no-cache", credentials: "omit" })
        .then(function (answer) {
          if (!answer.ok) {
            throw new Error("no parts list: " + answer.status);
          }
          return answer.json();
        })
        .then(function (list) {
          var parts = (list && Array.isArray(list.parts) ? list.parts : []).filter(function (part) {
            return typeof part === "string" && PART.test(part);
          });
          if (!parts.length) {
            return null; // Nothing is published yet: every query finds nothing.
          }
          var base = "/pagefind/" + parts[0] + "/";
          return import(base + "pagefind.js").then(function (pf) {
            return parts.slice(1).reduce(function (merged, part) {
              return merged.then(function () { return pf.mergeIndex("/pagefind/" + part + "/"); });
            }, pf.options({ excerptLength: 30, basePath: base })).then(function () { return pf; });
          });
        });
      // A failed load may be a passing one: the next query tries again.
      engine.catch(function () { engine = null; });
    }
    return engine;
  }

  // The index is rebuilt at most every so often; a page withdrawn since is
  // already gone from the site, so a result is shown only if its page is.
  function stillThere(page) {
    return fetch(page.url, { method: "HEAD", credentials: "omit" })
      .then(function (answer) { return answer.ok ? page : null; }, function () { return null; });
  }

  // Pagefind's excerpt is escaped text with <mark> around the matches; it
  // is rebuilt here from text nodes, so nothing in it can become markup.
  function excerpt(html) {
    var out = document.createElement("p");
    out.className = "search-excerpt";
    var parsed = new DOMParser().parseFromString(html, "text/html");
    parsed.body.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function item(page) {
    var li = document.createElement("li");
    var heading = document.createElement("h2");
    heading.className = "search-title";
    var link = document.createElement("a");
    link.href = page.url;
    link.textContent = (page.meta && page.meta.title) || page.url;
    heading.appendChild(link);
    li.appendChild(heading);
    if (page.meta && page.meta.date) {
      var meta = document.createElement("p");
      meta.className = "card-meta";
      meta.textContent = [page.meta.category, page.meta.date].filter(Boolean).join(" · ");
      li.appendChild(meta);
    }
    li.appendChild(excerpt(page.excerpt || ""));
    return li;
  }

  function search(query) {
    var q = query.trim();
    list.replaceChildren();
    if (!q) {
      status.textContent = "";
      return;
    }
    status.textContent = "Đang tìm…";
    pagefind()
      .then(function (pf) { return pf ? pf.search(q) : { results: [] }; })
      .then(function (found) {
        return Promise.all(found.results.slice(0, SHOWN).map(function (r) { return r.data(); }));
      })
      .then(function (pages) { return Promise.all(pages.map(stillThere)); })
      .then(function (pages) {
        if (q !== input.value.trim()) {
          return; // A newer query is on its way.
        }
        pages = pages.filter(Boolean);
        pages.forEach(function (page) { list.appendChild(item(page)); });
        status.textContent = pages.length
          ? "Tìm thấy " + pages.length + " bài viết cho “" + q + "”."
          : "Không tìm thấy bài viết nào cho “" + q + "”.";
      })
      .catch(function () {
        status.textContent = "Chưa tìm được lúc này; xin thử lại sau.";
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    window.history.replaceState(null, "", url);
    search(input.value);
  });
  var asked = new URLSearchParams(window.location.search).get("q");
  if (asked) {
    input.value = asked;
    search(asked);
  }
})();
