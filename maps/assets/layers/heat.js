  // ------------------------------------------------------------------ heat
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
        this.addLayer(this._heat);
      }
      this.sdbUpdate(this._ctx);
    },
    sdbUpdate: function (ctx) {
      var ix = ctx.index;
      if (!this._map || !this._heat || !ix) return;
      var points = [];
      for (var i = 0; i < ix.n; i++) if (ix.mask[i]) points.push([ix.lat[i], ix.lon[i], 1]);
      this._heat.setLatLngs(points);
      this._count = points.length;
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

