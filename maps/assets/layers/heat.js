  // ------------------------------------------------------------------ heat
  /**
   * Draw the heat of the events shown now on leaflet-heat layer `heat`, as leaflet-heat's _redraw
   * does (points summed into cells of half the radius, each cell drawn once at its weighted centre,
   * the densest cell full strength), from typed arrays: each event's position in pixels at zoom 0 is
   * computed once, and a redraw is one pass over the events with no object per point.
   */
  function sdbHeatDraw(ctx, heat) {
    var ix = ctx.index,
      map = heat._map;
    if (!ix) return heat._heat.data([]).draw(heat.options.minOpacity); // no data yet
    if (!ix.heatX) {
      ix.heatX = new Float64Array(ix.n);
      ix.heatY = new Float64Array(ix.n);
      var crs = map.options.crs;
      for (var k = 0; k < ix.n; k++) {
        var p = crs.latLngToPoint(L.latLng(ix.lat[k], ix.lon[k]), 0);
        ix.heatX[k] = p.x;
        ix.heatY[k] = p.y;
      }
    }
    var r = heat._heat._r,
      size = map.getSize(),
      cell = r / 2,
      zoom = map.getZoom(),
      scale = map.options.crs.scale(zoom) / map.options.crs.scale(0),
      origin = map.getPixelOrigin(),
      pane = map._getMapPanePos(),
      offX = pane.x % cell,
      offY = pane.y % cell;
    var cols = Math.floor((size.x + 4 * cell) / cell) + 8,
      rows = Math.floor((size.y + 4 * cell) / cell) + 8;
    var sumX = new Float64Array(cols * rows),
      sumY = new Float64Array(cols * rows),
      weight = new Float64Array(cols * rows);
    var mask = ix.mask,
      hx = ix.heatX,
      hy = ix.heatY,
      dx = pane.x - origin.x,
      dy = pane.y - origin.y,
      max = 1,
      away = new Map(),
      n;
    for (var i = 0; i < ix.n; i++) {
      if (!mask[i]) continue;
      var x = Math.round(hx[i] * scale) + dx,
        y = Math.round(hy[i] * scale) + dy;
      var col = Math.floor((x - offX) / cell),
        row = Math.floor((y - offY) / cell);
      if (x < -r || y < -r || x > size.x + r || y > size.y + r) {
        // Off screen: not drawn, but its cell's weight still sets the scale, as in leaflet-heat
        // (the densest cell anywhere is full strength, so panning keeps the colours).
        var key = row * 1e8 + col;
        n = (away.get(key) || 0) + 1;
        away.set(key, n);
        if (n > max) max = n;
        continue;
      }
      var c = (row + 4) * cols + col + 4;
      sumX[c] += x;
      sumY[c] += y;
      if (++weight[c] > max) max = weight[c];
    }
    var data = [];
    for (c = 0; c < weight.length; c++) {
      if (weight[c]) data.push([Math.round(sumX[c] / weight[c]), Math.round(sumY[c] / weight[c]), weight[c]]);
    }
    heat._heat.max(max).data(data).draw(heat.options.minOpacity);
  }

  /** Heat map of the events shown now (needs leaflet-heat). */
  SDB.HeatLayer = L.LayerGroup.extend({
    initialize: function (ctx, data, opts) {
      L.LayerGroup.prototype.initialize.call(this, []);
      this._ctx = ctx;
      ctx.register((opts && opts.key) || "heat", this);
    },
    onAdd: function (map) {
      L.LayerGroup.prototype.onAdd.call(this, map);
      if (!this._heat) {
        this._heat = L.heatLayer([], {
          radius: 18,
          blur: 16,
          minOpacity: 0.35,
          maxZoom: 9,
          gradient: this._ctx.style.heatGradient,
        });
        var self = this;
        // leaflet-heat's own redraw takes a [lat, lon, weight] array per point and projects each
        // (latLngToContainerPoint) on every redraw: ~100 ms of a window change at 100,000 events.
        // This one reads the index's mask and coordinates projected once (sdbHeatDraw), same grid.
        this._heat._redraw = function () {
          if (this._map) sdbHeatDraw(self._ctx, this);
          this._frame = null;
        };
        this.addLayer(this._heat);
      }
      this.sdbUpdate(this._ctx);
    },
    sdbUpdate: function (ctx) {
      var ix = ctx.index;
      if (!this._map || !this._heat || !ix) return;
      this._count = ix.shownCount;
      // At most one redraw per frame (leaflet-heat's redraw waits for the next animation frame).
      this._heat.redraw();
    },
    sdbLegend: function (ctx) {
      var stops = Object.keys(ctx.style.heatGradient).sort(function (a, b) {
        return a - b;
      });
      var gradient = stops
        .map(function (s) {
          return ctx.style.heatGradient[s] + " " + s * 100 + "%";
        })
        .join(", ");
      return (
        "<h4>Heat map</h4>" +
        '<div class="sdb-heatbar" style="background:linear-gradient(to right, ' + SDB.esc(gradient) + ')"></div>' +
        '<div class="sdb-heat-axis"><span>fewer</span><span>more strikes nearby</span></div>' +
        '<div class="sdb-note">density of the ' + fmt(this._count || 0) + " events shown (same filters)</div>"
      );
    },
  });

