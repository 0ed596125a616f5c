/* strikedb page guard: runs first, before any library. If the map has not started when the page has
 * loaded (a CDN script blocked, refused by its integrity hash, or failed), say so on the page
 * instead of leaving it blank. SDB_CDN (set just before this) tells which variant this is. */
(function () {
  "use strict";
  var failed = [];
  window.addEventListener(
    "error",
    function (ev) {
      var t = ev.target;
      if (t && (t.tagName === "SCRIPT" || t.tagName === "LINK")) failed.push(t.src || t.href);
    },
    true
  );
  window.addEventListener("load", function () {
    if (window.StrikeDB && window.StrikeDB.current) return;
    var box = document.createElement("div");
    box.className = "sdb-fatal";
    box.setAttribute("role", "alert");
    // Inline style: the stylesheets may be what failed.
    box.style.cssText =
      "position:fixed;top:20%;left:50%;transform:translateX(-50%);max-width:560px;z-index:10000;" +
      "background:#fff3cd;color:#222;border:2px solid #c77c02;border-radius:6px;padding:14px 18px;" +
      "font:15px/1.45 system-ui,sans-serif;box-shadow:0 2px 10px rgba(0,0,0,.3);overflow-wrap:anywhere";
    var what = failed.length
      ? "its scripts could not be loaded from the network (" + failed.join(", ") + ")."
      : "its scripts failed to run.";
    var hint = window.SDB_CDN
      ? " This map was made with --cdn and needs the CDN; make it without --cdn for a map that works offline."
      : " Try another browser (Chrome 80+, Firefox 113+, Safari 16.4+).";
    box.textContent = "The map cannot be shown: " + what + hint;
    document.body.appendChild(box);
  });
})();
