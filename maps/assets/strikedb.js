/* strikedb map runtime.
 *
 * Builds every event layer (by confidence, by facility type, heat, time) from ONE embedded
 * payload, so a map of 100,000 events carries the data once. Text from the data is only ever
 * turned into HTML through StrikeDB.esc, and only http(s) URLs become links.
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

  /** A decoded-on-demand table: {n, cols, sources}. */
  SDB.Dataset = function (payload) {
    this.n = payload.n;
    this.cols = payload.cols;
    this.sources = payload.sources || [];
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
    SDB.maps[map.getContainer().id] = ctx;
    SDB.current = ctx;
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
      if (!this._built) {
        var ctx = this._ctx,
          data = this._data,
          opts = this._opts;
        var colors = opts.colorBy === "ft" ? ctx.style.typeColors : ctx.style.confidenceColors;
        var cls = "sdb-event sdb-" + opts.key + "-" + opts.value;
        this.matches().forEach(function (i) {
          this.addLayer(eventMarker(ctx, data, i, colors[data.get(opts.colorBy, i)], cls));
        }, this);
        this._built = true;
      }
      L.FeatureGroup.prototype.onAdd.call(this, map);
    },
  });

  /** Heat map of all events, built on first display (needs leaflet-heat). */
  SDB.HeatLayer = L.LayerGroup.extend({
    initialize: function (ctx, data) {
      L.LayerGroup.prototype.initialize.call(this, []);
      this._data = data;
    },
    onAdd: function (map) {
      if (!this._heat) {
        var points = [];
        for (var i = 0; i < this._data.n; i++) points.push([this._data.get("lat", i), this._data.get("lon", i), 1]);
        this._heat = L.heatLayer(points, { radius: 18, blur: 16, minOpacity: 0.35, maxZoom: 9 });
        this.addLayer(this._heat);
      }
      L.LayerGroup.prototype.onAdd.call(this, map);
    },
  });

  /** Strikes accumulating over time, driven by a slider that appears with the layer. */
  SDB.TimeLayer = L.FeatureGroup.extend({
    initialize: function (ctx, data) {
      L.FeatureGroup.prototype.initialize.call(this, []);
      this._ctx = ctx;
      this._data = data;
      var order = [];
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
      this._markers = [];
      this._shown = 0;
      this._day = this._days.length ? this._days[this._days.length - 1] : 0;
      ctx.timeLayer = this;
      this.on("click", function (ev) {
        openPopup(ctx, SDB.eventPopup(ctx, data, ev.layer.options.sdbIndex), ev.layer.getLatLng());
      });
    },
    onAdd: function (map) {
      L.FeatureGroup.prototype.onAdd.call(this, map);
      this._control = new SDB.TimeControl(this).addTo(map);
      this.setDay(this._day);
    },
    onRemove: function (map) {
      this.stop();
      if (this._control) this._control.remove();
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
      var e = SDB.esc;
      for (var i = 0; i < data.n; i++) {
        var type = data.get("ft", i);
        this.addLayer(
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
      this.on("click", function (ev) {
        var k = ev.layer.options.sdbIndex;
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
