/* strikedb map runtime.
 *
 * Every event is embedded ONCE (one compact payload, maps/data.py) and every layer is built from
 * it here: clustered event markers (Leaflet.markercluster, one marker per event), the heat map,
 * the strikes-per-region layer, the legend, the title, the list of events in view and the
 * time-window histogram. One filter state (time window, confidence and type toggles, search
 * text) drives all of them through ctx.refresh(), and is mirrored in the URL fragment so a link
 * reopens the same view. Text from the data only becomes HTML through StrikeDB.esc, and only
 * http(s) URLs become links.
 *
 * Large payloads arrive packed (gzip + base64, maps/data.py::pack_payload) and are unpacked
 * asynchronously with DecompressionStream. StrikeDB.drawn (ctx.drawn) resolves once the data the
 * layers draw from is unpacked and every shown layer is drawn (the cluster layer adds markers in
 * chunks); StrikeDB.ready (ctx.ready) once the details are unpacked too. The event data comes in
 * two packs: the details (descriptions, ids, sources: most of the bytes, read only by popups,
 * search and links to one event) are unpacked after the first draw, and whatever needs them
 * before then waits for them (withDetails).
 *
 * Other layers plug in through ctx.register(key, layer): a layer may define sdbUpdate(ctx)
 * (called after every filter change) and sdbLegend(ctx) (HTML of its legend section, escaped).
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

  function clearStatus(ctx) {
    if (ctx.statusBox) L.DomUtil.remove(ctx.statusBox);
    ctx.statusBox = null;
  }

  /** Resolve ctx.drawn once the layers are drawn, ctx.ready when nothing is pending any more. */
  function settle(ctx) {
    if (ctx.loading.length || ctx.drawing || !ctx.started) return;
    if (!ctx.isDrawn) {
      ctx.isDrawn = true;
      ctx.drawnAt = performance.now(); // ms since navigation (bench/maps.py reports it)
      clearStatus(ctx);
      if (ctx.waitsForDetails) setStatus(ctx, "Loading event details\u2026");
      ctx.resolveDrawn(ctx);
      var hooks = ctx.afterDrawn;
      ctx.afterDrawn = [];
      hooks.forEach(function (fn) {
        fn();
      });
    }
    if (ctx.details || ctx.isReady) return;
    ctx.isReady = true;
    ctx.readyAt = performance.now();
    ctx.resolveReady(ctx);
  }

  /** A decoded-on-demand table: {n, cols, sources}, embedded as such or packed ({n, what, gzip}). */
  SDB.Dataset = function (payload, ctx) {
    ctx = ctx || SDB.current;
    this.n = payload.n;
    this.cols = undeltaLists(payload.cols || {});
    this.sources = payload.sources || [];
    this.isReady = payload.gzip === undefined;
    this.detailsReady = payload.gzip_details === undefined;
    this._waiting = [];
    this._waitingDetails = [];
    this._ctx = ctx;
    if (!this.detailsReady) {
      var self = this;
      this._details = payload.gzip_details;
      ctx.details++;
      // After the first draw, and after the frame that shows it has been painted.
      ctx.afterDrawn.push(function () {
        setTimeout(function () {
          self._loadDetails();
        }, 0);
      });
    }
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
  /** Unpack the details (packed apart, maps/data.py::split_details) into the columns, once. */
  SDB.Dataset.prototype._loadDetails = function () {
    var self = this,
      ctx = this._ctx;
    if (this.detailsReady || this._detailsLoading) return;
    if (!this.isReady) return this.whenReady(function () {
      self._loadDetails();
    });
    this._detailsLoading = true;
    SDB.unpack(this._details).then(
      function (details) {
        self._details = null;
        var cols = undeltaLists(details.cols || {});
        Object.keys(cols).forEach(function (key) {
          self.cols[key] = cols[key];
        });
        if (details.sources) self.sources = details.sources;
        self.detailsReady = true;
        ctx.details--;
        var waiting = self._waitingDetails;
        self._waitingDetails = [];
        ctx.waitsForDetails = false;
        if (ctx.isDrawn && !ctx.loading.length) clearStatus(ctx);
        waiting.forEach(function (fn) {
          fn();
        });
        settle(ctx);
      },
      function (err) {
        setStatus(ctx, "Could not load the map data: " + err.message);
        ctx.rejectReady(err);
      }
    );
  };
  /** Run fn now if the details are here, else when they are (unpacking them now if not started). */
  SDB.Dataset.prototype.whenDetails = function (fn) {
    if (this.detailsReady) return fn();
    this._waitingDetails.push(fn);
    this._loadDetails();
  };
  /** Run fn once the event details are unpacked, saying what the map waits for meanwhile. */
  function withDetails(ctx, fn) {
    var data = ctx.events;
    if (!data || data.detailsReady) return fn();
    ctx.waitsForDetails = true;
    if (!ctx.loading.length) setStatus(ctx, "Loading event details\u2026");
    data.whenDetails(fn);
  }
  SDB.withDetails = withDetails;

  /** Run fn now if the data is here, else when it is (in the order of the calls). */
  SDB.Dataset.prototype.whenReady = function (fn) {
    if (this.isReady) fn();
    else this._waiting.push(fn);
  };
  SDB.Dataset.prototype.get = function (key, i) {
    var col = this.cols[key];
    return col ? SDB.value(col, i) : null;
  };


  // ------------------------------------------------------------------ small helpers
  function dayNumber(iso) {
    return Math.floor(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / 86400000);
  }
  function isoDay(day) {
    return new Date(day * 86400000).toISOString().slice(0, 10);
  }
  function label(value) {
    return value === null || value === undefined ? "" : String(value).replace(/_/g, " ");
  }
  /** 12345 -> "12,345" (toLocaleString is slow enough to show up in a profile at 100,000 events). */
  function fmt(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  SDB.isoDay = isoDay;
  SDB.dayNumber = dayNumber;

  /** Decode a dictionary-encoded column into `out` (typed array), converting each distinct value once. */
  function decodeInto(col, fn, out) {
    var i;
    if (!col) {
      for (i = 0; i < out.length; i++) out[i] = fn(null);
    } else if (col.d) {
      var mapped = col.d.map(fn);
      for (i = 0; i < out.length; i++) out[i] = mapped[col.c[i]];
    } else {
      for (i = 0; i < out.length; i++) out[i] = fn(col.v[i]);
    }
    return out;
  }

  /** Lower bounds of the region classes: "nice" numbers 1, 2, 5, 10... (maps/style.py::choropleth_breaks). */
  SDB.breaks = function (maxCount, classes) {
    if (maxCount <= 0) return [1];
    var nice = [],
      magnitude = 1;
    while (nice.length < 40) {
      nice.push(magnitude, 2 * magnitude, 5 * magnitude);
      magnitude *= 10;
    }
    var bounds = nice.filter(function (b) {
      return b <= maxCount;
    });
    while (bounds.length > classes) {
      bounds = bounds.length > 2 ? [bounds[0]].concat(bounds.slice(2).filter(function (_, k) {
        return k % 2 === 0;
      })) : bounds.slice(0, classes);
    }
    return bounds;
  };
  function classOf(n, breaks) {
    var k = 0;
    while (k + 1 < breaks.length && n >= breaks[k + 1]) k++;
    return k;
  }
  function swatch(color, extra) {
    return '<span class="sdb-swatch" style="background:' + SDB.esc(color) + (extra || "") + '"></span>';
  }

  // ------------------------------------------------------------------ the map's context
  /** Create panes and renderers of one map and register it in StrikeDB.maps. */
  SDB.setup = function (map, style, options) {
    // Bundled outlines sit UNDER the tile pane (200): optional online tiles cover them when they
    // load, and where they cannot load the outlines still show.
    var panes = { sdbBasemap: 150, sdbRegions: 390, sdbFacilities: 440, sdbEvents: 450 };
    Object.keys(panes).forEach(function (name) {
      map.createPane(name).style.zIndex = panes[name];
    });
    map.getPane("sdbBasemap").style.pointerEvents = "none";
    L.DomUtil.addClass(map.getContainer(), "sdb-map");
    var ctx = {
      map: map,
      style: style,
      options: options,
      layers: {},
      order: [],
      renderer: options.canvas
        ? L.canvas({ pane: "sdbEvents", padding: 0.3, tolerance: 2 })
        : L.svg({ pane: "sdbEvents" }),
      facilityRenderer: L.svg({ pane: "sdbFacilities" }),
      state: { from: null, to: null, conf: {}, types: {}, q: "", colorBy: "conf", event: null },
      loading: [],
      drawing: 0,
      details: 0,
      afterDrawn: [],
      started: false,
      isDrawn: false,
      isReady: false,
    };
    ctx.register = function (key, layer) {
      if (ctx.layers[key]) throw new Error("two layers with the key " + key);
      ctx.layers[key] = layer;
      layer.sdbKey = key;
      ctx.order.push(key);
      return layer;
    };
    /** Events shown on the map now (in clusters or alone), once the cluster layer is built. */
    ctx.drawnEvents = function () {
      var layer = ctx.layers.events;
      return layer && map.hasLayer(layer) && ctx.index ? layer.sdbShownCount() : 0;
    };
    ctx.ready = new Promise(function (resolve, reject) {
      ctx.resolveReady = resolve;
      ctx.rejectReady = reject;
    });
    ctx.drawn = new Promise(function (resolve) {
      ctx.resolveDrawn = resolve;
    });
    SDB.maps[map.getContainer().id] = ctx;
    SDB.current = ctx;
    SDB.ready = ctx.ready;
    SDB.drawn = ctx.drawn;
    return ctx;
  };

  /** Register a layer made elsewhere (e.g. folium's tile layer) under a URL key. */
  SDB.register = function (ctx, key, layer) {
    return ctx.register(key, layer);
  };

  /** Promise resolved when the layers have drawn what the last refresh asked for. */
  function whenDrawn(ctx) {
    return new Promise(function (resolve) {
      (function wait() {
        if (!ctx.drawing) requestAnimationFrame(function () {
          resolve(ctx);
        });
        else setTimeout(wait, 5);
      })();
    });
  }
  SDB.whenDrawn = whenDrawn;

  // ------------------------------------------------------------------ index and filtering
  function buildIndex(ctx) {
    var data = ctx.events,
      n = data ? data.n : 0,
      st = ctx.style;
    var levels = st.confidenceLevels,
      types = st.facilityTypes,
      geo = ["exact", "near_town", "region"];
    var ix = {
      n: n,
      day: new Int32Array(n),
      conf: new Uint8Array(n),
      type: new Uint8Array(n),
      geo: new Uint8Array(n),
      region: new Int32Array(n),
      // Coordinates as typed arrays: the list of events in view tests every event on each change.
      lat: new Float64Array(n),
      lon: new Float64Array(n),
      mask: new Uint8Array(n),
      shown: new Uint8Array(n),
      markers: new Array(n),
      shownCount: 0,
      text: null,
    };
    if (n) {
      decodeInto(data.cols.date, dayNumber, ix.day);
      decodeInto(data.cols.conf, function (v) {
        return Math.max(0, levels.indexOf(v));
      }, ix.conf);
      decodeInto(data.cols.ft, function (v) {
        var k = types.indexOf(v);
        return k < 0 ? types.length - 1 : k;
      }, ix.type);
      decodeInto(data.cols.gp, function (v) {
        return Math.max(0, geo.indexOf(v));
      }, ix.geo);
      decodeInto(data.cols.rg, function (v) {
        return v === null || v === undefined ? -1 : v;
      }, ix.region);
      decodeInto(data.cols.lat, Number, ix.lat);
      decodeInto(data.cols.lon, Number, ix.lon);
    }
    var minDay = Infinity,
      maxDay = -Infinity,
      i;
    for (i = 0; i < n; i++) {
      if (ix.day[i] < minDay) minDay = ix.day[i];
      if (ix.day[i] > maxDay) maxDay = ix.day[i];
    }
    ix.minDay = n ? minDay : null;
    ix.maxDay = n ? maxDay : null;
    // Newest first: the order of the list of events in view.
    var order = new Array(n);
    for (i = 0; i < n; i++) order[i] = i;
    order.sort(function (a, b) {
      return ix.day[b] - ix.day[a] || ix.conf[a] - ix.conf[b] || a - b;
    });
    ix.newestFirst = order;
    // Histogram bins: weeks (starting Monday) over up to two years, months beyond.
    ix.binBy = n && maxDay - minDay > 730 ? "month" : "week";
    ix.bin = new Int32Array(n);
    if (n) {
      var binStart = [],
        firstMonth = monthIndex(minDay),
        firstWeek = minDay - ((minDay + 3) % 7);
      var binOf = function (day) {
        return ix.binBy === "month" ? monthIndex(day) - firstMonth : Math.floor((day - firstWeek) / 7);
      };
      var nBins = binOf(maxDay) + 1;
      for (var b = 0; b < nBins; b++) {
        binStart.push(ix.binBy === "month" ? monthStartDay(firstMonth + b) : firstWeek + 7 * b);
      }
      binStart.push(ix.binBy === "month" ? monthStartDay(firstMonth + nBins) : firstWeek + 7 * nBins);
      for (i = 0; i < n; i++) ix.bin[i] = binOf(ix.day[i]);
      ix.binStart = binStart;
      ix.nBins = nBins;
    } else {
      ix.binStart = [];
      ix.nBins = 0;
    }
    ix.totalConf = new Int32Array(levels.length);
    ix.totalType = new Int32Array(types.length);
    for (i = 0; i < n; i++) {
      ix.totalConf[ix.conf[i]]++;
      ix.totalType[ix.type[i]]++;
    }
    ctx.index = ix;
    return ix;
  }
  function monthIndex(day) {
    var d = new Date(day * 86400000);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  }
  function monthStartDay(month) {
    return Math.floor(Date.UTC(Math.floor(month / 12), month % 12, 1) / 86400000);
  }

  /** Lower-cased searchable text per event: facility, place, region, country, description, id. */
  function buildText(ctx) {
    var data = ctx.events,
      n = ctx.index.n,
      text = new Array(n);
    var keys = ["fac", "loc", "a1", "cc", "desc", "id", "op"];
    for (var i = 0; i < n; i++) {
      var parts = [];
      for (var k = 0; k < keys.length; k++) {
        var v = data.get(keys[k], i);
        if (v) parts.push(v);
      }
      text[i] = parts.join(" \u0001 ").toLowerCase();
    }
    ctx.index.text = text;
  }

  /** Recompute which events pass the filters, then update every layer, box and the URL. */
  function refresh(ctx) {
    var ix = ctx.index;
    if (!ix) return;
    var s = ctx.state,
      st = ctx.style,
      n = ix.n,
      i;
    var confOn = st.confidenceLevels.map(function (level) {
      return s.conf[level] !== false && !isLeftOut(ctx, "conf", level);
    });
    var typeOn = st.facilityTypes.map(function (type) {
      return s.types[type] !== false && !isLeftOut(ctx, "ft", type);
    });
    var q = (s.q || "").trim().toLowerCase();
    if (q && !ix.text) {
      if (ctx.events && !ctx.events.detailsReady) {
        // Search reads the descriptions and ids: redo this refresh once they are unpacked.
        if (!ctx.searchWaits) {
          ctx.searchWaits = true;
          ctx.drawing++;
          withDetails(ctx, function () {
            ctx.searchWaits = false;
            ctx.drawing--;
            refresh(ctx);
            settle(ctx);
          });
        }
        return;
      }
      buildText(ctx);
    }
    var from = s.from === null ? -Infinity : s.from,
      to = s.to === null ? Infinity : s.to;
    var shownConf = new Int32Array(st.confidenceLevels.length),
      shownType = new Int32Array(st.facilityTypes.length),
      shownGeo = new Int32Array(3),
      bins = new Int32Array(ix.nBins),
      count = 0;
    var mask = ix.mask,
      day = ix.day,
      conf = ix.conf,
      type = ix.type,
      text = ix.text;
    for (i = 0; i < n; i++) {
      if (confOn[conf[i]] && typeOn[type[i]] && (!q || text[i].indexOf(q) >= 0)) {
        bins[ix.bin[i]]++;
        if (day[i] >= from && day[i] <= to) {
          mask[i] = 1;
          count++;
          shownConf[conf[i]]++;
          shownType[type[i]]++;
          shownGeo[ix.geo[i]]++;
          continue;
        }
      }
      mask[i] = 0;
    }
    ix.shownCount = count;
    ix.shownConf = shownConf;
    ix.shownType = shownType;
    ix.shownGeo = shownGeo;
    ix.bins = bins;
    ctx.order.forEach(function (key) {
      var layer = ctx.layers[key];
      if (layer.sdbUpdate) layer.sdbUpdate(ctx);
    });
    updateBoxes(ctx);
    writeHash(ctx);
  }
  SDB.refresh = refresh;

  function isLeftOut(ctx, kind, value) {
    var out = (ctx.options.leftOut || {})[kind];
    return !!(out && out.indexOf(value) >= 0);
  }

  /** Set the time window (days since 1970; null = open end) and redraw; resolves when drawn. */
  SDB.setWindow = function (ctx, from, to) {
    var ix = ctx.index;
    if (from !== null && to !== null && from > to) {
      var t = from;
      from = to;
      to = t;
    }
    if (ix && ix.n) {
      if (from !== null && from <= ix.minDay) from = null;
      if (to !== null && to >= ix.maxDay) to = null;
    }
    ctx.state.from = from;
    ctx.state.to = to;
    refresh(ctx);
    return whenDrawn(ctx);
  };
  SDB.setState = function (ctx, changes) {
    Object.keys(changes).forEach(function (key) {
      ctx.state[key] = changes[key];
    });
    refresh(ctx);
    return whenDrawn(ctx);
  };

  // ------------------------------------------------------------------ popups
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
      claimedBy = src[6],
      publisherKind = src[7],
      grade = src[8];
    var name = SDB.esc(publisher || (url ? url.replace(/^https?:\/\/(www\.)?/i, "").split("/")[0] : "source"));
    var html = url ? '<a href="' + SDB.esc(url) + '" target="_blank" rel="noopener noreferrer">' + name + "</a>" : name;
    // Who the publisher is and its Admiralty reliability grade (A-F), from the publisher registry.
    var who = [];
    if (publisherKind) who.push(SDB.esc(String(publisherKind).replace(/_/g, " ")));
    if (grade) who.push("reliability " + SDB.esc(grade));
    if (who.length) html += ' <span class="sdb-src-grade">[' + who.join(", ") + "]</span>";
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
  SDB.sourceItem = sourceItem;

  /**
   * Rows of the event popup, in order: [label, function (g, e, ctx) -> escaped HTML or ""].
   * g(key) reads the event's payload column, e escapes. Push to this list to add a row.
   */
  SDB.popupRows = [
    [
      "Date",
      function (g, e) {
        var date = e(g("date"));
        if (g("dp") && g("dp") !== "day") date += " (known to the " + e(g("dp")) + ")";
        if (g("t")) date += ", " + e(g("t")) + " UTC";
        return date;
      },
    ],
    [
      "Facility",
      function (g, e) {
        var facility = g("fac") ? e(g("fac")) : "";
        var type = g("ft") && g("ft") !== "unknown" ? e(label(g("ft"))) : "";
        if (type) facility = facility ? facility + " (" + type + ")" : type;
        if (g("op")) facility += (facility ? ", " : "") + "operator " + e(g("op"));
        return facility;
      },
    ],
    [
      "Place",
      function (g, e, ctx) {
        var place = [g("loc"), g("a1"), g("cc")]
          .filter(function (x) {
            return x;
          })
          .map(e)
          .join(", ");
        var gp = g("gp");
        if (gp && gp !== "exact") {
          var radius = ctx.style.geoUncertainty[gp];
          place += " (" + e(label(gp)) + (radius ? ", within ~" + e(radius / 1000) + " km: dashed circle" : "") + ")";
        } else if (gp) {
          place += " (exact)";
        }
        return place;
      },
    ],
    [
      "Attack",
      function (g, e) {
        return e(label(g("att")));
      },
    ],
    [
      "Effect",
      function (g, e) {
        var effect = e(label(g("eff")));
        if (g("dmg")) effect += (effect ? ", " : "") + "damage " + e(g("dmg"));
        return effect;
      },
    ],
    [
      "Confidence",
      function (g, e, ctx) {
        var conf = g("conf");
        var html = swatch(ctx.style.confidenceColors[conf]) + e(conf);
        if (g("adm")) html += ", Admiralty grade " + e(g("adm"));
        if (g("cs")) html += " (" + e(label(g("cs"))) + ")";
        return html;
      },
    ],
  ];

  /** Popup HTML of event i: every value from the data goes through esc(). */
  SDB.eventPopup = function (ctx, data, i) {
    var g = function (key) {
      return data.get(key, i);
    };
    var e = SDB.esc;
    var html =
      '<div class="sdb-popup"><div class="sdb-popup-title">' + (e(g("fac") || g("loc")) || "Strike") + "</div><table>";
    SDB.popupRows.forEach(function (r) {
      html += row(r[0], r[1](g, e, ctx));
    });
    html += "</table>";
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

  /** Open the popup of event i at its marker (spiderfied position if fanned out), once its details
   *  are here; done(popup) is called when it is open. */
  function openEventPopup(ctx, i, latlng, done) {
    withDetails(ctx, function () {
      var popup = openEventPopupNow(ctx, i, latlng);
      if (done) done(popup);
    });
  }
  function openEventPopupNow(ctx, i, latlng) {
    var data = ctx.events;
    var popup = openPopup(ctx, SDB.eventPopup(ctx, data, i), latlng);
    popup._sdbEvent = i;
    ctx.state.event = data.get("id", i) || "#" + i;
    var gp = data.get("gp", i),
      radius = gp ? ctx.style.geoUncertainty[gp] : 0;
    if (ctx.uncertainty) ctx.map.removeLayer(ctx.uncertainty);
    ctx.uncertainty = null;
    if (radius) {
      ctx.uncertainty = L.circle([data.get("lat", i), data.get("lon", i)], {
        radius: radius,
        pane: "sdbEvents",
        interactive: false,
        color: "#222",
        weight: 1.5,
        dashArray: "6 4",
        fillOpacity: 0.05,
        className: "sdb-uncertainty",
      }).addTo(ctx.map);
    }
    writeHash(ctx);
    return popup;
  }

  /**
   * Bring a marker out of its cluster: pan to it if it stands alone, else zoom in to where it
   * does, or fan out its spot when it shares it with others down to the last zoom level.
   * (markercluster's zoomToShowLayer only knows icon markers, not circle markers.)
   */
  function visibleParent(group, marker) {
    if (group._featureGroup.hasLayer(marker)) return marker;
    var cluster = marker.__parent;
    while (cluster && !cluster._icon) cluster = cluster.__parent;
    return cluster || null;
  }
  SDB.visibleParent = visibleParent;

  function reveal(group, marker, done, depth) {
    var map = group._map,
      latlng = marker.getLatLng();
    var visible = visibleParent(group, marker);
    if (visible === marker) return done();
    if (!map.getBounds().contains(latlng) && !depth) {
      map.setView(latlng, map.getZoom(), { animate: false });
      return reveal(group, marker, done, 1);
    }
    var parent = marker.__parent;
    if (parent._zoom < group._maxZoom && (depth || 0) < 2) {
      map.setView(latlng, Math.max(map.getZoom(), parent._zoom + 1), { animate: false });
      return reveal(group, marker, done, 2);
    }
    // Stacked at one spot: zoom to where the stack is its own cluster, then fan it out.
    var stack = parent;
    while (stack.__parent && stack.__parent._childCount === stack._childCount) stack = stack.__parent;
    if (map.getZoom() < stack._zoom || !map.getBounds().contains(latlng)) {
      map.setView(latlng, Math.max(map.getZoom(), stack._zoom), { animate: false });
    }
    visible = visibleParent(group, marker);
    if (visible && visible !== marker && visible.spiderfy) {
      if (group._spiderfied === visible) return done();
      group.once("spiderfied", function () {
        done();
      });
      visible.spiderfy();
    } else {
      done();
    }
  }

  /** Show event i (zooming in or fanning out its cluster as needed) and open its popup. */
  SDB.openEvent = function (ctx, i) {
    var ix = ctx.index,
      group = ctx.layers.events;
    return new Promise(function (resolve) {
      if (!ix || i < 0 || i >= ix.n || !ix.mask[i] || !group || !ctx.map.hasLayer(group)) return resolve(null);
      var marker = ix.markers[i];
      reveal(group, marker, function () {
        openEventPopup(ctx, i, marker.getLatLng(), resolve);
      });
    });
  };
  /** Pass fn the index of the event a link names ("#12" or its id), or -1, once the ids are here. */
  function findEvent(ctx, ref, fn) {
    if (/^#\d+$/.test(ref)) return fn(+ref.slice(1));
    withDetails(ctx, function () {
      var data = ctx.events,
        n = ctx.index ? ctx.index.n : 0;
      for (var i = 0; i < n; i++) if (data.get("id", i) === ref) return fn(i);
      fn(-1);
    });
  }
  /** Open the event a link names, once it can be found; resolves with its popup or null. */
  function openLinkedEvent(ctx, ref) {
    if (!ref) return Promise.resolve(null);
    return new Promise(function (resolve) {
      findEvent(ctx, ref, resolve);
    }).then(function (i) {
      return i >= 0 ? SDB.openEvent(ctx, i) : null;
    });
  }

  // ------------------------------------------------------------------ event markers, clustered
  /*
   * The cluster tree is built ONCE, with every event: building it is the costly part (markercluster
   * inserts each marker on every zoom level), so filters never add or remove markers. A filtered-out
   * marker is hidden (invisible, not clickable) and every cluster shows the count and the best
   * confidence of the events shown now inside it (clusterStats, from per-cluster counts kept in typed
   * arrays, see indexTree); clusters with nothing shown are hidden. A window change therefore costs
   * one pass over the events, a walk up the tree from each marker that changed, and the restyling of
   * what is on screen.
   */
  // Fill opacity by geocode precision (exact, near a town, a whole region): paler is vaguer.
  var FILL_OPACITY = [0.9, 0.6, 0.35];
  function markerStyle(ctx, i) {
    var ix = ctx.index,
      st = ctx.style;
    var color =
      ctx.state.colorBy === "ft"
        ? st.typeColors[st.facilityTypes[ix.type[i]]]
        : st.confidenceColors[st.confidenceLevels[ix.conf[i]]];
    var geo = ix.geo[i],
      shown = !!ix.shown[i];
    // Uncertain geocodes: dashed outline, paler fill, a larger hollow ring for a whole region.
    return {
      radius: st.eventRadius + (geo === 2 ? 3 : 0),
      color: geo ? "#111" : "#222",
      weight: geo ? 1.8 : 1,
      dashArray: geo ? "3 2" : null,
      opacity: shown ? 0.95 : 0,
      fillColor: color,
      fillOpacity: shown ? FILL_OPACITY[geo] : 0,
    };
  }

  /** A circle marker that can be hidden: invisible, and neither clickable nor in the DOM's way. */
  var EventMarker = L.CircleMarker.extend({
    onAdd: function (map) {
      L.CircleMarker.prototype.onAdd.call(this, map);
      this._sdbApplyShown();
    },
    sdbSetShown: function (ctx, i) {
      var shown = !!ctx.index.shown[i],
        options = this.options;
      options.sdbShown = shown;
      // The canvas renderer skips non-interactive layers when hit-testing clicks and hovers.
      options.interactive = shown;
      // Only the opacities depend on being shown (markerStyle): set them in place rather than
      // through setStyle, which builds a style object per marker (a narrowing hides ~94,000 at
      // 100,000 events: garbage collection was a third of it). Only markers on the map redraw.
      options.opacity = shown ? 0.95 : 0;
      options.fillOpacity = shown ? FILL_OPACITY[ctx.index.geo[i]] : 0;
      if (this._map && this._renderer) this._renderer._updateStyle(this);
      this._sdbApplyShown();
    },
    _sdbApplyShown: function () {
      if (this._path && this._path.style) this._path.style.display = this.options.sdbShown ? "" : "none";
    },
  });

  function makeMarkers(ctx) {
    var ix = ctx.index;
    for (var i = 0; i < ix.n; i++) {
      ix.shown[i] = ix.mask[i];
      var options = markerStyle(ctx, i);
      options.renderer = ctx.renderer;
      options.pane = "sdbEvents";
      options.className = "sdb-event sdb-conf-" + ctx.style.confidenceLevels[ix.conf[i]];
      options.sdbIndex = i;
      options.sdbRank = ix.conf[i];
      options.sdbShown = !!ix.mask[i];
      options.interactive = !!ix.mask[i];
      // A click on a marker is not also a click on the map (which would fold a fanned-out spot).
      options.bubblingMouseEvents = false;
      ix.markers[i] = new EventMarker([ix.lat[i], ix.lon[i]], options);
    }
  }

  /*
   * Every cluster knows how many events of each confidence rank it holds that are shown now. Once
   * the tree is complete the counts of all clusters live in ONE typed array (indexTree), with each
   * cluster's parent and each event's cluster as typed arrays too, and are kept up to date by
   * walking up from each marker whose visibility changed: a narrowing that hides ~94,000 of 100,000
   * events walks ~1.2 million cells in a few ms, where the same walk over the cluster objects took
   * ~70 ms. Until then (the tree is built in chunks) a cluster counts its subtree (countRanks).
   */
  function indexTree(ctx, group) {
    var ix = ctx.index,
      levels = ctx.style.confidenceLevels.length;
    var clusters = [group._topClusterLevel],
      parents = [-1];
    for (var k = 0; k < clusters.length; k++) {
      var children = clusters[k]._childClusters;
      clusters[k]._sdbId = k;
      for (var c = 0; c < children.length; c++) {
        clusters.push(children[c]);
        parents.push(k);
      }
    }
    var tree = {
      levels: levels,
      parent: Int32Array.from(parents),
      ranks: new Int32Array(clusters.length * levels),
      clusterOf: new Int32Array(ix.n),
    };
    for (var i = 0; i < ix.n; i++) {
      var marker = ix.markers[i];
      tree.clusterOf[i] = marker.__parent ? marker.__parent._sdbId : -1;
      if (marker.options.sdbShown) shiftRanks(tree, i, ix.conf[i], 1);
    }
    group._sdbTree = tree;
  }
  function shiftRanks(tree, i, rank, delta) {
    for (var c = tree.clusterOf[i]; c >= 0; c = tree.parent[c]) tree.ranks[c * tree.levels + rank] += delta;
  }

  function countRanks(cluster, levels) {
    // Reuse the cluster's array: 200,000 clusters' worth of fresh arrays is mostly garbage collection.
    var ranks = cluster._sdbRanks || new Int32Array(levels),
      markers = cluster._markers,
      children = cluster._childClusters,
      k,
      r;
    ranks.fill(0);
    for (k = 0; k < markers.length; k++) if (markers[k].options.sdbShown) ranks[markers[k].options.sdbRank]++;
    for (k = 0; k < children.length; k++) {
      var sub = countRanks(children[k], levels);
      for (r = 0; r < levels; r++) ranks[r] += sub[r];
    }
    cluster._sdbRanks = ranks;
    return ranks;
  }

  /** [events shown inside, best (lowest) confidence rank among them]. */
  function clusterStats(ctx, cluster) {
    var levels = ctx.style.confidenceLevels.length,
      tree = cluster._group._sdbTree,
      ranks,
      at = 0;
    if (tree && cluster._sdbId !== undefined) {
      ranks = tree.ranks;
      at = cluster._sdbId * levels;
    } else {
      ranks = cluster._sdbRanks || countRanks(cluster, levels);
    }
    var count = 0,
      best = 99;
    for (var r = 0; r < levels; r++) {
      if (ranks[at + r]) {
        count += ranks[at + r];
        if (best === 99) best = r;
      }
    }
    return [count, best];
  }
  SDB.clusterStats = clusterStats;

  function clusterIcon(ctx, cluster) {
    var stats = clusterStats(ctx, cluster),
      n = stats[0],
      rank = stats[1];
    cluster._sdbIconKey = n + ":" + rank + ":" + ctx.state.colorBy;
    if (!n) return L.divIcon({ html: "", className: "sdb-cluster-empty", iconSize: L.point(0, 0) });
    var level = ctx.style.confidenceLevels[rank] || "unverified";
    if (n === 1) {
      // One event shown among hidden ones: drawn like a marker (a click opens it, see below).
      var d = 2 * ctx.style.eventRadius + 2;
      return L.divIcon({
        html: '<div style="background:' + SDB.esc(ctx.style.confidenceColors[level]) + '"></div>',
        className: "sdb-cluster-one",
        iconSize: L.point(d, d),
      });
    }
    var size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 48;
    var dark = rank <= 1;
    return L.divIcon({
      html:
        '<div style="background:' +
        SDB.esc(ctx.style.confidenceColors[level]) +
        ";color:" +
        (dark ? "#fff" : "#111") +
        '"><span>' +
        fmt(n) +
        "</span></div>",
      className: "sdb-cluster sdb-cluster-" + level,
      iconSize: L.point(size, size),
    });
  }

  function shownChildren(cluster) {
    return cluster.getAllChildMarkers().filter(function (m) {
      return m.options.sdbShown;
    });
  }

  /** Tooltip of a cluster: its strongest and newest events, so a hover shows what is stacked. */
  function clusterTooltip(ctx, cluster) {
    var ix = ctx.index,
      data = ctx.events,
      e = SDB.esc;
    var markers = shownChildren(cluster);
    markers.sort(function (a, b) {
      var i = a.options.sdbIndex,
        j = b.options.sdbIndex;
      return ix.conf[i] - ix.conf[j] || ix.day[j] - ix.day[i];
    });
    var lines = markers.slice(0, 6).map(function (m) {
      var i = m.options.sdbIndex,
        level = ctx.style.confidenceLevels[ix.conf[i]];
      return (
        "<li>" + swatch(ctx.style.confidenceColors[level]) + e(data.get("date", i)) + " " +
        e(data.get("fac", i) || data.get("loc", i) || "") + " <i>" + e(level) + "</i></li>"
      );
    });
    var more = markers.length > 6 ? "<li>\u2026 and " + fmt(markers.length - 6) + " more</li>" : "";
    return (
      '<div class="sdb-cluster-tip"><b>' + fmt(markers.length) + " events</b>, strongest first:<ul>" +
      lines.join("") + more + "</ul><span class=\"sdb-note\">click: zoom in, or fan out events at one spot</span></div>"
    );
  }

  if (L.MarkerCluster) {
    // Fan out only the events shown now, the strongest confidence first (then the table order).
    var spiderfy = L.MarkerCluster.prototype.spiderfy;
    L.MarkerCluster.prototype.spiderfy = function () {
      var self = this,
        all = this.getAllChildMarkers;
      this.getAllChildMarkers = function () {
        return all
          .apply(self, arguments)
          .filter(function (m) {
            return m.options.sdbShown !== false;
          })
          .sort(function (a, b) {
            return a.options.sdbRank - b.options.sdbRank || a.options.sdbIndex - b.options.sdbIndex;
          });
      };
      try {
        spiderfy.call(this);
      } finally {
        delete this.getAllChildMarkers;
      }
    };
  }

  /** Re-create the icons of the clusters on screen whose shown count or best confidence changed. */
  function refreshClusterIcons(ctx, group) {
    group._featureGroup.eachLayer(function (layer) {
      if (!(layer instanceof L.MarkerCluster)) return;
      var stats = clusterStats(ctx, layer);
      if (layer._sdbIconKey !== stats[0] + ":" + stats[1] + ":" + ctx.state.colorBy) layer._updateIcon();
    });
  }

  /**
   * All events, one circle marker each, in a Leaflet.markercluster group: numbered clusters
   * coloured by the best confidence shown inside; events at one spot fan out on click.
   */
  SDB.EventLayer = function (ctx, data, opts) {
    ctx.events = data;
    var group = L.markerClusterGroup({
      chunkedLoading: true,
      chunkInterval: 800,
      chunkDelay: 1,
      animate: false,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      zoomToBoundsOnClick: true,
      removeOutsideVisibleBounds: true,
      maxClusterRadius: 48,
      spiderLegPolylineOptions: { weight: 1.5, color: "#222", opacity: 0.6 },
      iconCreateFunction: function (cluster) {
        return clusterIcon(ctx, cluster);
      },
      chunkProgress: function (done, total) {
        // (markercluster also reports an empty addLayers when the layer is added before the data.)
        if (done < total || !ctx.index || !ctx.index.markers[0]) return;
        // The tree is complete and markercluster makes the icons right after this call: count what
        // is shown per cluster now (filters may have changed while it was being built).
        indexTree(ctx, group);
        if (group._sdbBuilding) {
          group._sdbBuilding = false;
          setTimeout(function () {
            group._sdbBuilt = true;
            refreshClusterIcons(ctx, group);
            ctx.drawing--;
            settle(ctx);
          }, 0);
        }
      },
    });
    // markercluster listens to every marker's dragstart/move/dragend to move it in the tree: three
    // listeners per marker (300,000 objects at 100,000 events, ~5 % of the open with the garbage).
    // Event markers never move or drag (spiderfying moves them with the group's _ignoreMove set).
    group._childMarkerEventHandlers = {};
    group.sdbShownCount = function () {
      return group._sdbBuilt || !group._map ? ctx.index.shownCount : 0;
    };
    group.sdbUpdate = function (ctx) {
      var ix = ctx.index;
      if (!ix) return;
      if (ix.n && !ix.markers[0]) {
        makeMarkers(ctx);
        if (group._map) {
          group._sdbBuilding = true;
          ctx.drawing++;
        } else {
          group._sdbBuilt = true;
        }
        group.addLayers(ix.markers, true);
        return;
      }
      var mask = ix.mask,
        shown = ix.shown,
        markers = ix.markers,
        tree = group._sdbTree,
        changed = false;
      // Walking up from each changed marker measured faster than recounting the tree, even when
      // most markers change (recounting visits ~2 clusters per marker and every marker array).
      for (var i = 0; i < ix.n; i++) {
        if (mask[i] !== shown[i]) {
          shown[i] = mask[i];
          markers[i].sdbSetShown(ctx, i);
          if (tree) shiftRanks(tree, i, ix.conf[i], mask[i] ? 1 : -1);
          changed = true;
        }
      }
      if (changed && group._spiderfied) group._unspiderfy();
      if (group._map && group._featureGroup) refreshClusterIcons(ctx, group);
    };
    group.sdbRestyle = function (ctx) {
      var ix = ctx.index;
      for (var i = 0; i < ix.n; i++) if (ix.markers[i]) ix.markers[i].setStyle(markerStyle(ctx, i));
      if (group._map && group._featureGroup) refreshClusterIcons(ctx, group);
    };
    group.on("click", function (ev) {
      openEventPopup(ctx, ev.layer.options.sdbIndex, ev.layer.getLatLng());
    });
    group.on("clustermouseover", function (ev) {
      if (ctx.clusterTip) ctx.map.closeTooltip(ctx.clusterTip);
      var half = ev.layer._icon ? ev.layer._icon.offsetHeight / 2 : 18;
      ctx.clusterTip = L.tooltip({ direction: "top", className: "sdb-tip", offset: [0, -half] })
        .setLatLng(ev.layer.getLatLng())
        .setContent(clusterTooltip(ctx, ev.layer))
        .openOn(ctx.map);
    });
    group.on("clusterclick", function (ev) {
      if (clusterStats(ctx, ev.layer)[0] !== 1) return;
      var only = shownChildren(ev.layer)[0];
      // After markercluster's own zoom to the cluster: bring the one event out and open it.
      setTimeout(function () {
        SDB.openEvent(ctx, only.options.sdbIndex);
      }, 0);
    });
    group.on("clustermouseout clusterclick animationend spiderfied", function () {
      if (ctx.clusterTip) ctx.map.closeTooltip(ctx.clusterTip);
      ctx.clusterTip = null;
    });
    group.on("spiderfied", function (ev) {
      // Strongest drawn last, i.e. on top, where legs cross the centre.
      ev.markers
        .slice()
        .sort(function (a, b) {
          return b.options.sdbRank - a.options.sdbRank;
        })
        .forEach(function (m) {
          if (m.bringToFront) m.bringToFront();
        });
    });
    group.sdbLegend = function (ctx) {
      return eventLegend(ctx);
    };
    ctx.register(opts.key || "events", group);
    return group;
  };

  // @layer-scripts: maps/assets/layers/*.js go here, top layer first (maps.runtime.Runtime)
  // ------------------------------------------------------------------ legend, title, list
  function eventLegend(ctx) {
    var ix = ctx.index,
      st = ctx.style,
      s = ctx.state,
      e = SDB.esc;
    if (!ix) return "";
    var byType = s.colorBy === "ft";
    var html =
      "<h4>Events (one marker each)</h4>" +
      '<div class="sdb-colorby">Colour by <label><input type="radio" name="sdb-colorby" value="conf"' +
      (byType ? "" : " checked") + "> confidence</label> <label><input type=\"radio\" name=\"sdb-colorby\" value=\"ft\"" +
      (byType ? " checked" : "") + "> facility type</label></div>";
    html += "<div class=\"sdb-sub\">Confidence</div><ul>";
    st.confidenceLevels.forEach(function (level, k) {
      var out = isLeftOut(ctx, "conf", level);
      var on = s.conf[level] !== false && !out;
      var total = ix.totalConf[k],
        shown = ix.shownConf ? ix.shownConf[k] : 0;
      html +=
        '<li class="sdb-class' + (out ? " sdb-left-out" : on ? "" : " sdb-off") + '" data-kind="conf" data-value="' + e(level) +
        '"><label title="' + e(st.confidenceExplanations[level]) + '"><input type="checkbox"' + (on ? " checked" : "") +
        (out ? " disabled" : "") + "> " + (byType ? "" : swatch(st.confidenceColors[level])) + "<b>" + e(level) + "</b> " +
        '<span class="sdb-count">' + (out ? "not selected" : fmt(shown) + (shown !== total ? " of " + fmt(total) : "")) +
        "</span></label></li>";
    });
    html += "</ul>";
    var typeRows = "";
    st.facilityTypes.forEach(function (type, k) {
      var out = isLeftOut(ctx, "ft", type);
      if (!ix.totalType[k] && !out) return;
      var on = s.types[type] !== false && !out;
      var total = ix.totalType[k],
        shown = ix.shownType ? ix.shownType[k] : 0;
      typeRows +=
        '<li class="sdb-class' + (out ? " sdb-left-out" : on ? "" : " sdb-off") + '" data-kind="ft" data-value="' + e(type) +
        '"><label><input type="checkbox"' + (on ? " checked" : "") + (out ? " disabled" : "") + "> " +
        (byType ? swatch(st.typeColors[type]) : "") + e(label(type)) + ' <span class="sdb-count">' +
        (out ? "not selected" : fmt(shown) + (shown !== total ? " of " + fmt(total) : "")) + "</span></label></li>";
    });
    if (typeRows) html += '<div class="sdb-sub">Facility type</div><ul>' + typeRows + "</ul>";
    html += '<div class="sdb-sub">Geocode</div><ul>';
    ["exact", "near_town", "region"].forEach(function (gp, k) {
      var dashed = k ? ";border-style:dashed;opacity:" + (k === 2 ? 0.6 : 0.8) : "";
      html +=
        "<li>" + swatch("#bbb", dashed) + e(st.geoLabels[gp]) + ' <span class="sdb-count">' +
        fmt(ix.shownGeo ? ix.shownGeo[k] : 0) + "</span></li>";
    });
    html += "</ul>";
    html +=
      '<div class="sdb-note"><span class="sdb-cluster-key">12</span> numbered circle: events grouped; its colour is the ' +
      "strongest confidence inside. Hover to list them, click to zoom in or fan them out.</div>";
    return html;
  }

  function legendHtml(ctx) {
    var parts = [];
    // Top layer first: the events, then what lies under them.
    ctx.order.slice().reverse().forEach(function (key) {
      var layer = ctx.layers[key];
      if (layer.sdbLegend && ctx.map.hasLayer(layer)) parts.push(layer.sdbLegend(ctx));
    });
    if (!parts.length) parts.push('<div class="sdb-note">No layer is shown; tick one in the layer control.</div>');
    return "<details open><summary>Legend</summary>" + parts.join("") + "</details>";
  }

  function titleShownText(ctx) {
    var ix = ctx.index,
      s = ctx.state;
    if (!ix || !ix.n) return "no events match the selection";
    var from = s.from === null ? ix.minDay : s.from,
      to = s.to === null ? ix.maxDay : s.to;
    return (
      "Showing " + fmt(ix.shownCount) + " of " + fmt(ix.n) + " event" + (ix.n === 1 ? "" : "s") + ", " + isoDay(from) +
      " to " + isoDay(to)
    );
  }

  function filtersHtml(ctx) {
    var e = SDB.esc,
      filters = ctx.options.filters || [];
    if (!filters.length) return '<div class="sdb-filters">Selection: all events in the database (no filters)</div>';
    return (
      '<div class="sdb-filters"><span>Made with:</span> ' +
      filters
        .map(function (f) {
          return '<span class="sdb-filter"><b>' + e(f[0]) + "</b> " + e(f[1]) + "</span>";
        })
        .join(" ") +
      "</div>"
    );
  }

  /** A box on the map (a Leaflet control at `position`): a div of class `className` that keeps
   *  clicks and scrolls to itself, given its content and handlers by `fill(div)`. */
  function addBox(ctx, position, className, fill) {
    var Box = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var div = L.DomUtil.create("div", className);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        fill(div);
        return div;
      },
    });
    return new Box().addTo(ctx.map);
  }

  function buildTitleBox(ctx) {
    ctx.titleBox = addBox(ctx, "topright", "sdb-title", function (div) {
      div.innerHTML =
        "<b>" + SDB.esc(ctx.options.title || "") + "</b>" +
        (ctx.options.subtitle ? '<div class="sdb-subtitle">' + SDB.esc(ctx.options.subtitle) + "</div>" : "") +
        '<div class="sdb-shown" role="status"></div>' +
        filtersHtml(ctx) +
        '<input class="sdb-search" type="search" placeholder="Search description, place, facility\u2026" ' +
        'aria-label="Search events by description, place or facility">';
      var input = div.querySelector(".sdb-search"),
        timer = null;
      input.value = ctx.state.q || "";
      L.DomEvent.on(input, "input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          ctx.state.q = input.value;
          refresh(ctx);
        }, 120);
      });
    });
  }

  function buildLegendBox(ctx) {
    ctx.legendBox = addBox(ctx, "bottomright", "sdb-legend", function (div) {
      L.DomEvent.on(div, "change", function (ev) {
        var t = ev.target;
        if (t.name === "sdb-colorby") {
          ctx.state.colorBy = t.value;
          ctx.layers.events && ctx.layers.events.sdbRestyle(ctx);
          refresh(ctx);
          return;
        }
        var item = t.closest("li.sdb-class");
        if (!item) return;
        var kind = item.getAttribute("data-kind"),
          value = item.getAttribute("data-value");
        (kind === "conf" ? ctx.state.conf : ctx.state.types)[value] = t.checked;
        refresh(ctx);
      });
    });
  }

  /** Events in the current view, newest first; clicking one opens its popup. */
  function buildListBox(ctx) {
    ctx.listBox = addBox(ctx, "topleft", "sdb-list", function (div) {
      div.innerHTML = '<details open><summary class="sdb-list-head"></summary><ol class="sdb-list-items"></ol></details>';
      L.DomEvent.on(div, "click", function (ev) {
        var item = ev.target.closest("li[data-i]");
        if (item) SDB.openEvent(ctx, +item.getAttribute("data-i"));
      });
    });
  }
  var LIST_MAX = 200;
  function updateList(ctx) {
    if (!ctx.listBox) return;
    var ix = ctx.index,
      data = ctx.events,
      e = SDB.esc,
      st = ctx.style;
    var div = ctx.listBox.getContainer();
    var items = [],
      inView = 0;
    var bounds = ctx.map.getBounds();
    var south = bounds.getSouth(),
      north = bounds.getNorth(),
      west = bounds.getWest(),
      east = bounds.getEast();
    var eventsOn = ctx.layers.events && ctx.map.hasLayer(ctx.layers.events);
    if (ix && eventsOn) {
      var lat = ix.lat,
        lon = ix.lon;
      for (var k = 0; k < ix.n; k++) {
        var i = ix.newestFirst[k];
        if (!ix.mask[i]) continue;
        var y = lat[i],
          x = lon[i];
        if (y < south || y > north || x < west || x > east) continue;
        inView++;
        if (items.length < LIST_MAX) {
          var level = st.confidenceLevels[ix.conf[i]];
          items.push(
            '<li data-i="' + i + '" tabindex="0">' + swatch(st.confidenceColors[level]) + '<span class="sdb-li-date">' +
              e(data.get("date", i)) + "</span> " + e(data.get("fac", i) || data.get("loc", i) || "strike") +
              (data.get("loc", i) && data.get("fac", i) ? ', <span class="sdb-note">' + e(data.get("loc", i)) + "</span>" : "") +
              ' <span class="sdb-li-conf">' + e(level) + "</span></li>"
          );
        }
      }
    }
    div.querySelector(".sdb-list-head").textContent =
      fmt(inView) + " event" + (inView === 1 ? "" : "s") + " in view" +
      (inView > LIST_MAX ? " (newest " + LIST_MAX + " listed)" : "");
    div.querySelector(".sdb-list-items").innerHTML = items.join("");
  }

  function updateBoxes(ctx) {
    if (ctx.legendBox) ctx.legendBox.getContainer().innerHTML = legendHtml(ctx);
    if (ctx.titleBox) ctx.titleBox.getContainer().querySelector(".sdb-shown").textContent = titleShownText(ctx);
    if (ctx.timeControl) ctx.timeControl.update();
    updateList(ctx);
  }

  // ------------------------------------------------------------------ time window
  SDB.TimeControl = L.Control.extend({
    options: { position: "bottomleft" },
    initialize: function (ctx) {
      this._ctx = ctx;
    },
    onAdd: function () {
      var ctx = this._ctx,
        ix = ctx.index,
        self = this;
      var box = L.DomUtil.create("div", "sdb-time leaflet-bar");
      box.innerHTML =
        '<div class="sdb-time-row"><button type="button" class="sdb-time-play" title="Play: slide the window forward">' +
        '\u25B6</button><input type="date" class="sdb-time-from" aria-label="Window start"> \u2013 ' +
        '<input type="date" class="sdb-time-to" aria-label="Window end"><button type="button" class="sdb-time-all">' +
        'All dates</button><span class="sdb-time-label"></span></div>' +
        '<div class="sdb-hist"><svg class="sdb-hist-svg" preserveAspectRatio="none"></svg>' +
        '<input type="range" class="sdb-time-lo" aria-label="Window start"><input type="range" class="sdb-time-hi" ' +
        'aria-label="Window end"></div><div class="sdb-hist-axis"><span class="sdb-hist-min"></span>' +
        '<span class="sdb-hist-unit"></span><span class="sdb-hist-max"></span></div>';
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var q = function (sel) {
        return box.querySelector(sel);
      };
      this._box = box;
      this._from = q(".sdb-time-from");
      this._to = q(".sdb-time-to");
      this._lo = q(".sdb-time-lo");
      this._hi = q(".sdb-time-hi");
      this._label = q(".sdb-time-label");
      this._svg = q(".sdb-hist-svg");
      this._play = q(".sdb-time-play");
      [this._from, this._to].forEach(function (input) {
        input.min = isoDay(ix.minDay);
        input.max = isoDay(ix.maxDay);
      });
      [this._lo, this._hi].forEach(function (input) {
        input.min = ix.minDay;
        input.max = ix.maxDay;
        input.step = 1;
      });
      q(".sdb-hist-min").textContent = isoDay(ix.minDay);
      q(".sdb-hist-max").textContent = isoDay(ix.maxDay);
      q(".sdb-hist-unit").textContent = "events per " + ix.binBy + " (window dark)";
      var pending = null;
      function onRange() {
        self.stop();
        var lo = +self._lo.value,
          hi = +self._hi.value;
        if (lo > hi) {
          if (this === self._lo) self._hi.value = hi = lo;
          else self._lo.value = lo = hi;
        }
        // Coalesce slider drags to one redraw per frame.
        if (pending === null) {
          pending = requestAnimationFrame(function () {
            pending = null;
            SDB.setWindow(ctx, +self._lo.value, +self._hi.value);
          });
        }
      }
      L.DomEvent.on(this._lo, "input", onRange);
      L.DomEvent.on(this._hi, "input", onRange);
      L.DomEvent.on(this._from, "change", function () {
        if (self._from.value) SDB.setWindow(ctx, dayNumber(self._from.value), ctx.state.to);
      });
      L.DomEvent.on(this._to, "change", function () {
        if (self._to.value) SDB.setWindow(ctx, ctx.state.from, dayNumber(self._to.value));
      });
      L.DomEvent.on(q(".sdb-time-all"), "click", function () {
        self.stop();
        SDB.setWindow(ctx, null, null);
      });
      L.DomEvent.on(this._play, "click", function () {
        if (self._timer) self.stop();
        else self.play();
      });
      this._bars = [];
      var svg = this._svg,
        n = ix.nBins,
        ns = "http://www.w3.org/2000/svg";
      svg.setAttribute("viewBox", "0 0 " + Math.max(n, 1) + " 100");
      for (var b = 0; b < n; b++) {
        var rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", b + 0.08);
        rect.setAttribute("width", 0.84);
        var title = document.createElementNS(ns, "title");
        rect.appendChild(title);
        svg.appendChild(rect);
        this._bars.push(rect);
      }
      return box;
    },
    window: function () {
      var ix = this._ctx.index,
        s = this._ctx.state;
      return [s.from === null ? ix.minDay : s.from, s.to === null ? ix.maxDay : s.to];
    },
    update: function () {
      var ctx = this._ctx,
        ix = ctx.index;
      if (!this._box || !ix.n) return;
      var w = this.window();
      this._from.value = isoDay(w[0]);
      this._to.value = isoDay(w[1]);
      this._lo.value = w[0];
      this._hi.value = w[1];
      this._label.textContent = fmt(ix.shownCount) + " shown";
      var bins = ix.bins,
        max = 1,
        b;
      for (b = 0; b < bins.length; b++) if (bins[b] > max) max = bins[b];
      for (b = 0; b < this._bars.length; b++) {
        var h = bins[b] ? Math.max(4, (100 * bins[b]) / max) : 0;
        var rect = this._bars[b];
        var inside = ix.binStart[b + 1] - 1 >= w[0] && ix.binStart[b] <= w[1];
        var key = h + (inside ? "+" : "-");
        if (rect._sdbKey === key) continue; // unchanged: no DOM work
        rect._sdbKey = key;
        rect.setAttribute("y", 100 - h);
        rect.setAttribute("height", h);
        rect.setAttribute("class", inside ? "sdb-bar sdb-bar-in" : "sdb-bar");
        rect.firstChild.textContent = isoDay(ix.binStart[b]) + ": " + fmt(bins[b]) + " events";
      }
    },
    /** Slide the window forward one bin at a time, keeping its width. */
    play: function () {
      var ctx = this._ctx,
        ix = ctx.index,
        self = this;
      this.stop();
      var w = this.window(),
        width = w[1] - w[0];
      var step = ix.binBy === "month" ? 30 : 7;
      if (width >= ix.maxDay - ix.minDay) width = step * 4 - 1;
      if (w[1] >= ix.maxDay) w = [ix.minDay, ix.minDay + width];
      SDB.setWindow(ctx, w[0], w[0] + width);
      this._play.textContent = "\u275A\u275A";
      this._timer = setInterval(function () {
        var cur = self.window();
        if (cur[1] >= ix.maxDay) return self.stop();
        SDB.setWindow(ctx, cur[0] + step, Math.min(ix.maxDay, cur[0] + step + width));
      }, 700);
    },
    stop: function () {
      if (this._timer) clearInterval(this._timer);
      this._timer = null;
      if (this._play) this._play.textContent = "\u25B6";
    },
  });

  // ------------------------------------------------------------------ URL fragment
  /** The map state as a URL fragment: view, window, toggles, search, colouring, layers, open event. */
  function stateHash(ctx) {
    var s = ctx.state,
      st = ctx.style,
      map = ctx.map,
      c = map.getCenter();
    var parts = ["v=" + map.getZoom() + "/" + c.lat.toFixed(4) + "/" + c.lng.toFixed(4)];
    if (s.from !== null) parts.push("from=" + isoDay(s.from));
    if (s.to !== null) parts.push("to=" + isoDay(s.to));
    var off = function (levels, on) {
      return levels.filter(function (v) {
        return on[v] === false;
      });
    };
    var confOff = off(st.confidenceLevels, s.conf),
      typeOff = off(st.facilityTypes, s.types);
    if (confOff.length) parts.push("hide_conf=" + confOff.map(encodeURIComponent).join(","));
    if (typeOff.length) parts.push("hide_type=" + typeOff.map(encodeURIComponent).join(","));
    if (s.q) parts.push("q=" + encodeURIComponent(s.q));
    if (s.colorBy !== "conf") parts.push("color=" + s.colorBy);
    parts.push(
      "layers=" +
        ctx.order
          .filter(function (key) {
            return map.hasLayer(ctx.layers[key]);
          })
          .join(",")
    );
    if (s.event) parts.push("event=" + encodeURIComponent(s.event));
    return "#" + parts.join("&");
  }
  SDB.stateHash = stateHash;

  function writeHash(ctx) {
    if (!ctx.started || ctx.applyingHash || !ctx.index) return;
    var hash = stateHash(ctx);
    if (hash !== location.hash) {
      ctx.lastHash = hash;
      try {
        history.replaceState(null, "", hash);
      } catch (err) {
        // Some viewers (sandboxed iframes) forbid it: the map works without a shareable link.
      }
    }
  }

  function parseHash(hash) {
    var out = {};
    hash
      .replace(/^#/, "")
      .split("&")
      .forEach(function (part) {
        var k = part.indexOf("=");
        if (k > 0) out[part.slice(0, k)] = decodeURIComponent(part.slice(k + 1));
      });
    return out;
  }

  /** Apply a URL fragment; returns the event it names to open (its id or "#index") or null. */
  function applyHash(ctx, hash) {
    var h = parseHash(hash),
      s = ctx.state,
      st = ctx.style,
      map = ctx.map;
    if (!Object.keys(h).length) return null;
    ctx.applyingHash = true;
    try {
      var valid = function (d) {
        return /^\d{4}-\d{2}-\d{2}$/.test(d || "") ? dayNumber(d) : null;
      };
      s.from = valid(h.from);
      s.to = valid(h.to);
      s.conf = {};
      s.types = {};
      (h.hide_conf ? h.hide_conf.split(",") : []).forEach(function (v) {
        if (st.confidenceLevels.indexOf(v) >= 0) s.conf[v] = false;
      });
      (h.hide_type ? h.hide_type.split(",") : []).forEach(function (v) {
        if (st.facilityTypes.indexOf(v) >= 0) s.types[v] = false;
      });
      s.q = h.q || "";
      s.colorBy = h.color === "ft" ? "ft" : "conf";
      if (h.layers !== undefined) {
        var wanted = h.layers ? h.layers.split(",") : [];
        ctx.order.forEach(function (key) {
          var layer = ctx.layers[key],
            want = wanted.indexOf(key) >= 0;
          if (want && !map.hasLayer(layer)) map.addLayer(layer);
          if (!want && map.hasLayer(layer)) map.removeLayer(layer);
        });
      }
      var v = (h.v || "").split("/").map(Number);
      if (v.length === 3 && v.every(isFinite)) map.setView([v[1], v[2]], v[0], { animate: false });
      if (ctx.titleBox) ctx.titleBox.getContainer().querySelector(".sdb-search").value = s.q;
      if (ctx.layers.events && ctx.layers.events.sdbRestyle && ctx.index && ctx.index.markers[0]) {
        ctx.layers.events.sdbRestyle(ctx);
      }
    } finally {
      ctx.applyingHash = false;
    }
    return h.event || null;
  }
  SDB.applyHash = function (ctx, hash) {
    var open = applyHash(ctx, hash);
    refresh(ctx);
    return whenDrawn(ctx).then(function () {
      return openLinkedEvent(ctx, open);
    });
  };

  // ------------------------------------------------------------------ start
  /**
   * Called once after every layer of the map exists: index the events (when unpacked), apply the
   * URL fragment, build the boxes and draw. ctx.ready resolves when everything is drawn.
   */
  SDB.start = function (ctx) {
    var go = function () {
      buildIndex(ctx);
      var open = applyHash(ctx, location.hash);
      buildTitleBox(ctx);
      buildListBox(ctx);
      buildLegendBox(ctx);
      if (ctx.index.n) ctx.timeControl = new SDB.TimeControl(ctx).addTo(ctx.map);
      ctx.started = true;
      refresh(ctx);
      var map = ctx.map,
        timer = null;
      var later = function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          updateList(ctx);
          writeHash(ctx);
        }, 60);
      };
      map.on("moveend", later);
      map.on("overlayadd overlayremove", function () {
        refresh(ctx);
      });
      map.on("popupclose", function (ev) {
        if (ev.popup === ctx.popup) {
          ctx.state.event = null;
          if (ctx.uncertainty) map.removeLayer(ctx.uncertainty);
          ctx.uncertainty = null;
          writeHash(ctx);
        }
      });
      window.addEventListener("hashchange", function () {
        if (location.hash !== ctx.lastHash) SDB.applyHash(ctx, location.hash);
      });
      if (open) {
        whenDrawn(ctx).then(function () {
          openLinkedEvent(ctx, open);
        });
      }
      settle(ctx);
    };
    if (ctx.events) ctx.events.whenReady(go);
    else go();
  };
})();
