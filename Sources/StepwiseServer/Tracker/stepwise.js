/*! Stepwise tracker: first-party micro-conversion capture (SPEC §3). No dependencies.
 * <script defer data-site="shop.example" src="https://stats.shop.example/js/stepwise.js"></script>
 * Attributes: data-api (endpoint base, default the script's origin), data-key (the site's write key),
 * data-cookieless (no stored id),
 * data-respect-privacy (honour GPC / Do Not Track), data-search-param (default "q"),
 * data-disable="scroll clicks forms video downloads outbound search engagement spa". */
(function (w, d) {
  "use strict";
  var script = d.currentScript || d.querySelector("script[data-site]");
  if (!script || w.stepwise && w.stepwise.site) return;
  var attr = function (n) { return script.getAttribute("data-" + n); };
  var site = attr("site");
  var api = (attr("api") || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var off = (attr("disable") || "").split(/[\s,]+/);
  var on = function (f) { return off.indexOf(f) < 0; };
  var nav = w.navigator;
  var quiet = attr("respect-privacy") !== null && (nav.globalPrivacyControl || nav.doNotTrack === "1" || w.doNotTrack === "1");
  var cookieless = attr("cookieless") !== null;
  var store = function (k, v) {
    try { if (v === undefined) return localStorage.getItem(k); localStorage.setItem(k, v); } catch (e) { return null; }
  };
  var visitor = cookieless ? null : store("stepwise_id");
  if (!cookieless && !visitor) {
    visitor = "v" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    store("stepwise_id", visitor);
  }
  var user = cookieless ? null : store("stepwise_user");
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) {}

  var key = attr("key");
  function post(path, body) {
    // sendBeacon cannot set headers: a site's write key travels as ?key=.
    var text = JSON.stringify(body), url = api + path + (key ? (path.indexOf("?") < 0 ? "?" : "&") + "key=" + encodeURIComponent(key) : "");
    // text/plain keeps it a simple request: no CORS preflight, and sendBeacon allows it.
    if (nav.sendBeacon && nav.sendBeacon(url, new Blob([text], { type: "text/plain" }))) return;
    try { fetch(url, { method: "POST", body: text, keepalive: true, credentials: "omit", headers: { "Content-Type": "text/plain" } }); } catch (e) {}
  }

  function track(name, props) {
    if (quiet || !name) return;
    var e = { site: site, event: String(name), url: location.href, timezone: zone, webdriver: !!nav.webdriver };
    if (visitor) e.visitor = visitor;
    if (user) e.user = user;
    if (d.referrer && d.referrer.indexOf(location.origin) !== 0) e.referrer = d.referrer;
    if (props && typeof props === "object") {
      if (props.revenue) { e.revenue = props.revenue; delete props.revenue; }
      for (var k in props) if (props.hasOwnProperty(k)) { e.props = props; break; }
    }
    post("/api/v1/events" + (visitor ? "" : "?cookieless=1"), e);
  }

  // Page views, SPA navigation included; each page resets the per-page captures.
  var page, scrolled, engaged, lastActive, visibleSince;
  function pageview() {
    if (page === location.href) return;
    flushEngagement();
    page = location.href;
    scrolled = {};
    track("pageview");
    if (on("search")) {
      var q = new URL(location.href).searchParams.get(attr("search-param") || "q");
      if (q) track("site_search", { query: q.slice(0, 200) });
    }
  }
  if (on("spa")) {
    ["pushState", "replaceState"].forEach(function (m) {
      var original = history[m];
      history[m] = function () { var r = original.apply(this, arguments); setTimeout(pageview, 0); return r; };
    });
    w.addEventListener("popstate", pageview);
  }

  // Scroll depth, once per threshold per page.
  if (on("scroll")) w.addEventListener("scroll", function () {
    var h = d.documentElement, height = h.scrollHeight - h.clientHeight;
    var pct = height > 0 ? (h.scrollTop || d.body.scrollTop) / height * 100 : 100;
    [25, 50, 75, 90].forEach(function (t) {
      if (pct >= t && !scrolled[t]) { scrolled[t] = 1; track("scroll_" + t); }
    });
  }, { passive: true });

  // Clicks: marked elements, downloads, outbound links.
  var downloads = /\.(pdf|zip|docx?|xlsx?|pptx?|csv|txt|rtf|dmg|exe|msi|pkg|apk|gz|tgz|rar|7z|mp3|mp4|mov|epub)$/i;
  d.addEventListener("click", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-stepwise],a[href]") : null;
    if (!el) return;
    var name = el.getAttribute("data-stepwise");
    if (name && on("clicks")) {
      var props = {};
      for (var i = 0; i < el.attributes.length; i++) {
        var a = el.attributes[i];
        if (a.name.indexOf("data-stepwise-") === 0) props[a.name.slice(14).replace(/-/g, "_")] = a.value;
      }
      track(name, props);
      return;
    }
    if (el.tagName !== "A") return;
    var url;
    try { url = new URL(el.getAttribute("href"), location.href); } catch (e) { return; }
    if (!/^https?:$/.test(url.protocol)) return;
    if (on("downloads") && (downloads.test(url.pathname) || el.hasAttribute("download"))) {
      track("file_download", { url: url.href, file: url.pathname.split("/").pop() });
    } else if (on("outbound") && url.host !== location.host) {
      track("outbound_click", { url: url.href, host: url.host });
    }
  }, true);

  // Forms: start on the first field touched, submit, abandon on leaving with a started form.
  // Field names only, never what was typed.
  var forms = [];
  function formName(f) { return f.getAttribute("data-stepwise-form") || f.getAttribute("name") || f.id || "form"; }
  if (on("forms")) {
    d.addEventListener("focusin", function (ev) {
      var f = ev.target && ev.target.form;
      if (!f) return;
      var s = forms.filter(function (x) { return x.f === f; })[0];
      if (!s) { s = { f: f }; forms.push(s); track("form_start", { form: formName(f) }); }
      s.last = ev.target.getAttribute("name") || ev.target.id || ev.target.type;
    });
    d.addEventListener("submit", function (ev) {
      var f = ev.target;
      forms.forEach(function (s) { if (s.f === f) s.done = 1; });
      track("form_submit", { form: formName(f) });
    }, true);
  }
  function flushForms() {
    forms.forEach(function (s) {
      if (!s.done && !s.gone) { s.gone = 1; track("form_abandon", { form: formName(s.f), last_field: s.last }); }
    });
  }

  // Video progress, once per threshold per video.
  if (on("video")) d.addEventListener("timeupdate", function (ev) {
    var v = ev.target;
    if (!v || v.tagName !== "VIDEO" || !v.duration) return;
    v._stepwise = v._stepwise || {};
    var pct = v.currentTime / v.duration * 100;
    [25, 50, 75, 100].forEach(function (t) {
      if (pct >= (t === 100 ? 99 : t) && !v._stepwise[t]) {
        v._stepwise[t] = 1;
        track("video_" + t, { video: v.getAttribute("data-stepwise-video") || v.currentSrc.split("/").pop() || "video" });
      }
    });
  }, true);

  // Engaged time: visible and active (input within the last 30 s), reported on leave.
  function now() { return Date.now(); }
  engaged = 0; lastActive = now(); visibleSince = d.visibilityState === "visible" ? now() : 0;
  function accrue() {
    if (!visibleSince) return;
    var t = now(), to = Math.min(t, lastActive + 30000);
    if (to > visibleSince) engaged += to - visibleSince;
    visibleSince = t;
  }
  ["mousemove", "keydown", "scroll", "touchstart", "click"].forEach(function (n) {
    d.addEventListener(n, function () { accrue(); lastActive = now(); }, { passive: true, capture: true });
  });
  function flushEngagement() {
    accrue();
    if (on("engagement") && page && engaged >= 1000) track("engagement", { seconds: Math.round(engaged / 1000) });
    engaged = 0;
  }
  d.addEventListener("visibilitychange", function () {
    if (d.visibilityState === "hidden") { flushEngagement(); flushForms(); visibleSince = 0; } else { visibleSince = now(); lastActive = now(); }
  });
  w.addEventListener("pagehide", function () { flushEngagement(); flushForms(); });

  w.stepwise = {
    site: site,
    track: track,
    identify: function (id) {
      if (quiet || !id) return;
      user = String(id);
      if (!cookieless) store("stepwise_user", user);
      if (visitor) post("/api/v1/identify", { site: site, visitor: visitor, user: user });
    },
    // The variant of a plan experiment for this person; records the exposure once.
    variant: function (experiment) {
      var person = user || visitor;
      if (!person) return Promise.resolve(null);
      return fetch(api + "/api/v1/assign?site=" + encodeURIComponent(site) + "&experiment=" + encodeURIComponent(experiment)
        + "&person=" + encodeURIComponent(person), { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (a) {
          if (a && a.variant) track("$exposure", { experiment: experiment, variant: a.variant });
          return a && a.variant || null;
        });
    }
  };
  pageview();
})(window, document);
