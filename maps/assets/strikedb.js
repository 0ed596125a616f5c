/* strikedb map runtime.
 *
 * Builds every event layer (by confidence, by facility type, heat, time) from ONE embedded
 * payload, so a map of 100,000 events carries the data once. Text from the data is only ever
 * turned into HTML through StrikeDB.esc, and only http(s) URLs become links.
 *
 * Large payloads arrive packed (gzip + base64, maps/data.py::pack_payload) and are unpacked
 * asynchronously with DecompressionStream; layers register work with Dataset.whenReady and
 * fill in when the data is there. StrikeDB.ready (and ctx.ready) resolves once every dataset
 * is unpacked and every layer shown at that time is drawn.
 */
(function () {
  "use strict";
  var SDB = (window.StrikeDB = window.StrikeDB || {});
  SDB.maps = SDB.maps || {};

  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

  /** HTML-escape any value; null and undefined become "". */
  SDB.esc = function (value) {
    if (value === null || value === undefined) return "";
    return String(value).replace(/[&<>"'`]/g, function (c) {
      return ESCAPES[c];
    });
  };

  /** Return the URL if it is http(s), else null (no javascript: or data: links). */
  SDB.safeUrl = function (url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  };

  /** Decode one value of a column encoded by maps/data.py::encode_column. */
  SDB.value = function (col, i) {
    return col.d ? col.d[col.c[i]] : col.v[i];
  };

  function base64Bytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    var binary = atob(text),
      bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  /** Promise of the payload packed by maps/data.py::pack_payload (base64 of gzip of JSON). */
  SDB.unpack = function (base64) {
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(
        new Error("this browser cannot unpack the map data (needs Chrome 80+, Firefox 113+ or Safari 16.4+)")
      );
    }
    return Promise.resolve().then(function () {
      var stream = new Blob([base64Bytes(base64)]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Response(stream).json();
    });
  };

  /** Show what the map is waiting for (ctx.loading: one label per dataset still unpacking). */
  function showLoading(ctx) {
    if (ctx.loading.length) setStatus(ctx, "Loading " + ctx.loading.join(" and ") + "\u2026");
  }
  function setStatus(ctx, text) {
    if (!ctx.statusBox) {
      ctx.statusBox = L.DomUtil.create("div", "sdb-status", ctx.map.getContainer());
      ctx.statusBox.setAttribute("role", "status");
    }
    ctx.statusBox.textContent = text;
  }

  /** Resolve ctx.ready when nothing is pending any more. */
  function settle(ctx) {
    if (ctx.loading.length || ctx.isReady) return;
    ctx.isReady = true;
    if (ctx.statusBox) L.DomUtil.remove(ctx.statusBox);
    ctx.statusBox = null;
    ctx.resolveReady(ctx);
  }

  /** A decoded-on-demand table: {n, cols, sources}, embedded as such or packed ({n, what, gzip}). */
  SDB.Dataset = function (payload, ctx) {
    ctx = ctx || SDB.current;
    this.n = payload.n;
    this.cols = undeltaLists(payload.cols || {});
    this.sources = payload.sources || [];
    this.isReady = payload.gzip === undefined;
    this._waiting = [];
    if (!this.isReady) this._unpack(ctx, payload);
  };
  /** Undo maps/data.py::delta_lists in place: {dv: [[differences]]} becomes {v: [[indices]]}. */
  function undeltaLists(cols) {
    Object.keys(cols).forEach(function (key) {
      var dv = cols[key].dv;
      if (!dv) return;
      var previous = 0;
      cols[key] = {
        v: dv.map(function (deltas) {
          return deltas.map(function (d) {
            return (previous += d);
          });
        }),
      };
    });
    return cols;
  }

  SDB.Dataset.prototype._unpack = function (ctx, payload) {
    var self = this,
      what = payload.n.toLocaleString("en") + " " + (payload.what || "rows");
    ctx.loading.push(what);
    showLoading(ctx);
    // Start after this script: the map and the status line can be painted first.
    setTimeout(function () {
      SDB.unpack(payload.gzip).then(
        function (full) {
          self.cols = undeltaLists(full.cols);
          self.sources = full.sources || [];
          self.isReady = true;
          var waiting = self._waiting;
          self._waiting = [];
          waiting.forEach(function (fn) {
            fn();
          });
          ctx.loading.splice(ctx.loading.indexOf(what), 1);
          showLoading(ctx);
          settle(ctx);
        },
        function (err) {
          setStatus(ctx, "Could not load the map data: " + err.message);
          ctx.rejectReady(err);
        }
      );
    }, 0);
  };
  /** Run fn now if the data is here, else when it is (in the order of the calls). */
  SDB.Dataset.prototype.whenReady = function (fn) {
    if (this.isReady) fn();
    else this._waiting.push(fn);
  };
  SDB.Dataset.prototype.get = function (key, i) {
    var col = this.cols[key];
    return col ? SDB.value(col, i) : null;
  };

  function dayNumber(iso) {
    return Math.floor(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / 86400000);
  }
  function isoDay(day) {
    return new Date(day * 86400000).toISOString().slice(0, 10);
  }
  function label(value) {
    return value === null || value === undefined ? "" : String(value).replace(/_/g, " ");
  }

  /** Create panes and renderers of one map and register it in StrikeDB.maps. */
  SDB.setup = function (map, style, options) {
    var panes = { sdbBasemap: 250, sdbFacilities: 440, sdbEvents: 450 };
    Object.keys(panes).forEach(function (name) {
      map.createPane(name).style.zIndex = panes[name];
    });
    map.getPane("sdbBasemap").style.pointerEvents = "none";
    if (options.offline) L.DomUtil.addClass(map.getContainer(), "sdb-offline");
    var ctx = {
      map: map,
      style: style,
      eventLayers: [],
      layers: {},
      renderer: options.canvas ? L.canvas({ pane: "sdbEvents", padding: 0.3 }) : L.svg({ pane: "sdbEvents" }),
      facilityRenderer: L.svg({ pane: "sdbFacilities" }),
    };
    ctx.drawnEvents = function () {
      return ctx.eventLayers.reduce(function (sum, layer) {
        return sum + (map.hasLayer(layer) ? layer.getLayers().length : 0);
      }, 0);
    };
    ctx.loading = [];
    ctx.isReady = false;
    ctx.ready = new Promise(function (resolve, reject) {
      ctx.resolveReady = resolve;
      ctx.rejectReady = reject;
    });
    // A microtask runs after the whole map script: by then every dataset has said whether it
    // is still unpacking, so a map without packed data is ready right after its script.
    Promise.resolve().then(function () {
      settle(ctx);
    });
    SDB.maps[map.getContainer().id] = ctx;
    SDB.current = ctx;
    SDB.ready = ctx.ready;
    return ctx;
  };

  function row(name, html) {
    return html ? "<tr><th>" + name + "</th><td>" + html + "</td></tr>" : "";
  }

  function sourceItem(src) {
    var url = SDB.safeUrl(src[0]),
      publisher = src[1],
      title = src[2],
      published = src[3],
      archived = SDB.safeUrl(src[4]),
      kind = src[5],
      claimedBy = src[6];
    var name = SDB.esc(publisher || (url ? url.replace(/^https?:\/\/(www\.)?/i, "").split("/")[0] : "source"));
    var html = url ? '<a href="' + SDB.esc(url) + '" target="_blank" rel="noopener noreferrer">' + name + "</a>" : name;
    if (published) html += ", " + SDB.esc(published);
    if (title) html += ': <span class="sdb-src-title">' + SDB.esc(title) + "</span>";
    var notes = [];
    if (kind) notes.push(SDB.esc(kind));
    if (claimedBy) notes.push("claimed by " + SDB.esc(claimedBy));
    if (notes.length) html += " (" + notes.join("; ") + ")";
    if (archived) {
      html += ' [<a href="' + SDB.esc(archived) + '" target="_blank" rel="noopener noreferrer">archived copy</a>]';
    }
    return "<li>" + html + "</li>";
  }

  /** Popup HTML of event i: every value from the data goes through esc(). */
  SDB.eventPopup = function (ctx, data, i) {
    var g = function (key) {
      return data.get(key, i);
    };
    var e = SDB.esc;
    var date = e(g("date"));
    if (g("dp") && g("dp") !== "day") date += " (known to the " + e(g("dp")) + ")";
    if (g("t")) date += ", " + e(g("t")) + " UTC";
    var facility = g("fac") ? e(g("fac")) : "";
    var type = g("ft") && g("ft") !== "unknown" ? e(label(g("ft"))) : "";
    if (type) facility = facility ? facility + " (" + type + ")" : type;
    if (g("op")) facility += (facility ? ", " : "") + "operator " + e(g("op"));
    var place = [g("loc"), g("a1"), g("cc")]
      .filter(function (x) {
        return x;
      })
      .map(e)
      .join(", ");
    if (g("gp")) place += " (" + e(label(g("gp"))) + ")";
    var effect = e(label(g("eff")));
    if (g("dmg")) effect += (effect ? ", " : "") + "damage " + e(g("dmg"));
    var conf = g("conf");
    var confidence =
      '<span class="sdb-swatch" style="background:' + e(ctx.style.confidenceColors[conf]) + '"></span>' + e(conf);
    if (g("adm")) confidence += ", Admiralty grade " + e(g("adm"));
    if (g("cs")) confidence += " (" + e(label(g("cs"))) + ")";
    var html =
      '<div class="sdb-popup"><div class="sdb-popup-title">' +
      (e(g("fac") || g("loc")) || "Strike") +
      "</div><table>" +
      row("Date", date) +
      row("Facility", facility) +
      row("Place", place) +
      row("Attack", e(label(g("att")))) +
      row("Effect", effect) +
      row("Confidence", confidence) +
      "</table>";
    if (g("desc")) html += '<p class="sdb-desc">' + e(g("desc")) + "</p>";
    var sources = g("src") || [];
    if (sources.length) {
      html +=
        '<div class="sdb-sources"><b>Sources</b><ol>' +
        sources
          .map(function (k) {
            return sourceItem(data.sources[k]);
          })
          .join("") +
        "</ol></div>";
    }
    if (g("id")) html += '<div class="sdb-id">' + e(g("id")) + "</div>";
    return html + "</div>";
  };

  function openPopup(ctx, html, latlng) {
    ctx.popup = L.popup({ maxWidth: 380, maxHeight: 360, autoPanPadding: [20, 20] })
      .setLatLng(latlng)
      .setContent(html)
      .openOn(ctx.map);
    return ctx.popup;
  }

  function eventMarker(ctx, data, i, color, cls) {
    return L.circleMarker([data.get("lat", i), data.get("lon", i)], {
      renderer: ctx.renderer,
      pane: "sdbEvents",
      radius: ctx.style.eventRadius,
      color: "#222",
      weight: 1,
      opacity: 0.9,
      fillColor: color,
      fillOpacity: 0.85,
      className: cls,
      sdbIndex: i,
    });
  }

  /** Events matching one value of one column (e.g. conf = "likely"), built on first display. */
  SDB.EventLayer = L.FeatureGroup.extend({
    initialize: function (ctx, data, opts) {
      L.FeatureGroup.prototype.initialize.call(this, []);
      this._ctx = ctx;
      this._data = data;
      this._opts = opts;
      this._built = false;
      ctx.eventLayers.push(this);
      this.on("click", function (ev) {
        openPopup(ctx, SDB.eventPopup(ctx, data, ev.layer.options.sdbIndex), ev.layer.getLatLng());
      });
    },
    matches: function () {
      var out = [];
      for (var i = 0; i < this._data.n; i++) {
        if (this._data.get(this._opts.key, i) === this._opts.value) out.push(i);
      }
      return out;
    },
    onAdd: function (map) {
      L.FeatureGroup.prototype.onAdd.call(this, map);
      if (!this._built) {
        this._built = true;
        this._data.whenReady(this._build.bind(this));
      }
    },
    _build: function () {
      var ctx = this._ctx,
        data = this._data,
        opts = this._opts;
      var colors = opts.colorBy === "ft" ? ctx.style.typeColors : ctx.style.confidenceColors;
      var cls = "sdb-event sdb-" + opts.key + "-" + opts.value;
      this.matches().forEach(function (i) {
        this.addLayer(eventMarker(ctx, data, i, colors[data.get(opts.colorBy, i)], cls));
      }, this);
    },
  });

  /** Heat map of all events, built on first display (needs leaflet-heat). */
  SDB.HeatLayer = L.LayerGroup.extend({
    initialize: function (ctx, data) {
      L.LayerGroup.prototype.initialize.call(this, []);
      this._data = data;
    },
    onAdd: function (map) {
      L.LayerGroup.prototype.onAdd.call(this, map);
      if (!this._heat) {
        var data = this._data,
          self = this;
        this._heat = L.heatLayer([], { radius: 18, blur: 16, minOpacity: 0.35, maxZoom: 9 });
        this.addLayer(this._heat);
        data.whenReady(function () {
          var points = [];
          for (var i = 0; i < data.n; i++) points.push([data.get("lat", i), data.get("lon", i), 1]);
          self._heat.setLatLngs(points);
        });
      }
    },
  });

  /** Strikes accumulating over time, driven by a slider that appears with the layer. */
  SDB.TimeLayer = L.FeatureGroup.extend({
    initialize: function (ctx, data) {
      L.FeatureGroup.prototype.initialize.call(this, []);
      this._ctx = ctx;
      this._data = data;
      this._order = [];
      this._days = [];
      this._markers = [];
      this._shown = 0;
      this._day = 0;
      data.whenReady(this._index.bind(this));
      ctx.timeLayer = this;
      this.on("click", function (ev) {
        openPopup(ctx, SDB.eventPopup(ctx, data, ev.layer.options.sdbIndex), ev.layer.getLatLng());
      });
    },
    /** Sort the events by date once the data is there. */
    _index: function () {
      var data = this._data,
        order = [];
      for (var i = 0; i < data.n; i++) order.push(i);
      var days = order.map(function (k) {
        return dayNumber(data.get("date", k));
      });
      order.sort(function (a, b) {
        return days[a] - days[b] || a - b;
      });
      this._order = order;
      this._days = order.map(function (k) {
        return days[k];
      });
      this._day = this._days.length ? this._days[this._days.length - 1] : 0;
    },
    onAdd: function (map) {
      L.FeatureGroup.prototype.onAdd.call(this, map);
      var self = this;
      this._data.whenReady(function () {
        // The layer may have been switched off (or off and on) while the data was unpacking.
        if (self._map !== map || self._control) return;
        self._control = new SDB.TimeControl(self).addTo(map);
        self.setDay(self._day);
      });
    },
    onRemove: function (map) {
      this.stop();
      if (this._control) this._control.remove();
      this._control = null;
      L.FeatureGroup.prototype.onRemove.call(this, map);
    },
    minDay: function () {
      return this._days.length ? this._days[0] : 0;
    },
    maxDay: function () {
      return this._days.length ? this._days[this._days.length - 1] : 0;
    },
    /** Show every event on or before `day` (days since 1970-01-01). */
    setDay: function (day) {
      this._day = day;
      var lo = 0,
        hi = this._days.length;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (this._days[mid] <= day) lo = mid + 1;
        else hi = mid;
      }
      var ctx = this._ctx,
        data = this._data;
      while (this._shown < lo) {
        var k = this._order[this._shown];
        if (!this._markers[this._shown]) {
          var conf = data.get("conf", k);
          this._markers[this._shown] = eventMarker(
            ctx,
            data,
            k,
            ctx.style.confidenceColors[conf],
            "sdb-time sdb-conf-" + conf
          );
        }
        this.addLayer(this._markers[this._shown++]);
      }
      while (this._shown > lo) this.removeLayer(this._markers[--this._shown]);
      if (this._control) this._control.update(day, this._shown);
      return this._shown;
    },
    play: function () {
      var self = this;
      this.stop();
      if (this._day >= this.maxDay()) this.setDay(this.minDay());
      var step = Math.max(1, Math.round((this.maxDay() - this.minDay()) / 150));
      this._timer = setInterval(function () {
        self.setDay(Math.min(self.maxDay(), self._day + step));
        if (self._day >= self.maxDay()) self.stop();
      }, 100);
    },
    stop: function () {
      if (this._timer) clearInterval(this._timer);
      this._timer = null;
    },
  });

  SDB.TimeControl = L.Control.extend({
    options: { position: "bottomleft" },
    initialize: function (layer) {
      this._layer = layer;
    },
    onAdd: function () {
      var layer = this._layer;
      var box = L.DomUtil.create("div", "sdb-time-control leaflet-bar");
      var button = L.DomUtil.create("button", "sdb-time-play", box);
      button.type = "button";
      button.textContent = "\u25B6";
      button.title = "Play: show strikes as they accumulate";
      var slider = L.DomUtil.create("input", "sdb-time-slider", box);
      slider.type = "range";
      slider.min = layer.minDay();
      slider.max = layer.maxDay();
      slider.step = 1;
      slider.value = layer._day;
      slider.setAttribute("aria-label", "Show strikes up to this date");
      this._label = L.DomUtil.create("span", "sdb-time-label", box);
      this._slider = slider;
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.on(slider, "input change", function () {
        layer.stop();
        layer.setDay(+slider.value);
      });
      L.DomEvent.on(button, "click", function () {
        if (layer._timer) layer.stop();
        else layer.play();
      });
      return box;
    },
    update: function (day, shown) {
      if (this._slider) this._slider.value = day;
      if (this._label) this._label.textContent = "up to " + isoDay(day) + ": " + shown + " strikes";
    },
  });

  /** Facilities sized by capacity, coloured by type. */
  SDB.FacilityLayer = L.FeatureGroup.extend({
    initialize: function (ctx, data) {
      L.FeatureGroup.prototype.initialize.call(this, []);
      var e = SDB.esc,
        self = this;
      data.whenReady(function () {
        for (var i = 0; i < data.n; i++) {
          var type = data.get("ft", i);
          self.addLayer(
            L.circleMarker([data.get("lat", i), data.get("lon", i)], {
              renderer: ctx.facilityRenderer,
              pane: "sdbFacilities",
              radius: data.get("r", i),
              color: ctx.style.typeColors[type],
              weight: 2,
              fillColor: ctx.style.typeColors[type],
              fillOpacity: 0.15,
              className: "sdb-facility",
              sdbIndex: i,
            })
          );
        }
      });
      this.on("click", function (ev) {
        var k = ev.layer.options.sdbIndex,
          type = data.get("ft", k);
        var g = function (key) {
          return data.get(key, k);
        };
        var place = [g("a1"), g("cc")]
          .filter(function (x) {
            return x;
          })
          .map(e)
          .join(", ");
        var hits = g("hits");
        var html =
          '<div class="sdb-popup"><div class="sdb-popup-title">' +
          e(g("name")) +
          "</div><table>" +
          row("Type", e(label(type === "unknown" ? null : g("ft")))) +
          row("Operator", e(g("op"))) +
          row("Capacity", e(g("cap"))) +
          row("Place", place) +
          row("Strikes", hits === null || hits === undefined ? "" : e(hits)) +
          "</table></div>";
        openPopup(ctx, html, ev.layer.getLatLng());
      });
    },
  });

  /** Strikes per admin-1 region; tooltips carry the escaped region name. */
  SDB.choropleth = function (ctx, geojson, breaks) {
    var colors = ctx.style.choroplethColors;
    function colorFor(n) {
      if (!n) return ctx.style.choroplethEmpty;
      var k = 0;
      while (k + 1 < breaks.length && n >= breaks[k + 1]) k++;
      return colors[Math.min(k, colors.length - 1)];
    }
    return L.geoJSON(geojson, {
      style: function (feature) {
        var n = feature.properties.n;
        return { fillColor: colorFor(n), fillOpacity: n ? 0.6 : 0.2, color: "#777", weight: 0.8 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(
          SDB.esc(p.name || "region") + (p.cc ? " (" + SDB.esc(p.cc) + ")" : "") + ": " + SDB.esc(p.n) + " strikes",
          { sticky: true }
        );
      },
    });
  };

  /** Country outlines drawn under everything: the offline basemap. */
  SDB.basemap = function (ctx, geojson) {
    return L.geoJSON(geojson, {
      pane: "sdbBasemap",
      interactive: false,
      style: { color: "#9a9a9a", weight: 0.7, fillColor: "#f4f3ee", fillOpacity: 1 },
    });
  };

  /** A fixed box (legend, title) whose HTML was built and escaped in Python. */
  SDB.box = function (ctx, html, position, cls) {
    var Box = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var div = L.DomUtil.create("div", cls);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      },
    });
    return new Box().addTo(ctx.map);
  };
})();
